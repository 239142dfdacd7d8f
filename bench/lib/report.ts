import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from './machine.ts';
import type { Measurement, SuiteResult, Target } from './types.ts';

export function evaluate(m: Measurement): Measurement {
  if (!m.target) return m;
  if (m.value === null || !Number.isFinite(m.value)) return { ...m, pass: null };
  return { ...m, pass: meets(m.value, m.target) };
}

function meets(value: number, target: Target): boolean {
  switch (target.op) {
    case '<=':
      return value <= target.value;
    case '<':
      return value < target.value;
    case '>=':
      return value >= target.value;
    default: {
      const never: never = target.op;
      throw new Error(`unknown target op ${String(never)}`);
    }
  }
}

export interface ResultFile {
  suite: string;
  description: string;
  date: string;
  machine: MachineInfo;
  measurements: Measurement[];
  errors: string[];
  details: Record<string, unknown>;
}

export function writeResult(dir: string, file: ResultFile): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${file.suite}.json`);
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return path;
}

export function formatTable(suite: string, result: SuiteResult): string {
  const rows = result.measurements.map((m) => [
    m.name,
    m.value === null ? '—' : `${m.value}`,
    m.unit,
    m.target ? `${m.target.op} ${m.target.value}` : '',
    m.pass === undefined ? '' : m.pass === null ? 'n/a' : m.pass ? 'PASS' : 'FAIL',
  ]);
  const header = ['measurement', 'value', 'unit', 'target', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const out = [`== ${suite}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  for (const e of result.errors) out.push(`! ${e}`);
  return out.join('\n');
}
