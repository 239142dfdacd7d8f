/** Display formatters of the evaluate view. */
import type { Estimate } from '../../core/eval/bootstrap.ts';

export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-4)) return x.toExponential(2);
  return x.toLocaleString('en-US', {
    minimumFractionDigits: a >= 1000 ? 0 : digits,
    maximumFractionDigits: a >= 1000 ? 1 : digits,
  });
}

export function fmtSigned(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${x > 0 ? '+' : x < 0 ? '−' : '±'}${fmt(Math.abs(x), digits)}`;
}

export function fmtCI(e: Pick<Estimate, 'lo' | 'hi'> | undefined, digits = 3, signed = false): string {
  if (!e || e.lo === null || e.hi === null) return '';
  const f = signed ? fmtSigned : fmt;
  return `${f(e.lo, digits)} to ${f(e.hi, digits)}`;
}

/** Expected value per 1,000 cases: thousands separators, one decimal. */
export function fmtValue(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${x < 0 ? '−' : ''}${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })}`;
}

export const pct = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)} %`;

/** Whether an interval of a difference says better (+1), worse (−1) or cannot tell (0). */
export function verdict(diff: Estimate | undefined, higherIsBetter: boolean): -1 | 0 | 1 {
  if (!diff || diff.lo === null || diff.hi === null) return 0;
  if (diff.lo > 0) return higherIsBetter ? 1 : -1;
  if (diff.hi < 0) return higherIsBetter ? -1 : 1;
  return 0;
}

export function rawValue(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  if (typeof v === 'number') return fmt(v, 2);
  return String(v);
}
