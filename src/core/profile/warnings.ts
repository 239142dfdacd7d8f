/**
 * Data-quality and leakage warnings derived from a `Profile` (pure; no SQL). Each names its evidence
 * (the numbers) and one suggestion. Thresholds are exported so the UI and tests can quote them.
 */
import type { FeatureTarget, Profile, Warning } from './types.ts';

export const THRESHOLDS = {
  /** Most frequent value's share of present values at or above which a column is near-constant. */
  constantShare: 0.99,
  /** Missing share above which a column is flagged. */
  missingShare: 0.5,
  /** A categorical column is high-cardinality above this many levels… */
  highCardinalityLevels: 50,
  /** …and above this share of rows. */
  highCardinalityShare: 0.05,
  /** Smallest class share below which a classification target is imbalanced. */
  minorityShare: 0.05,
  /** Univariate AUC / η² / Theil's U at or above which a single feature is suspected of leaking the target. */
  leakage: 0.98,
  /** |Pearson r| with the target at or above which a feature is taken as a function of the target. */
  targetCorrelation: 0.999,
  /** Share of rows after the prediction time above which a datetime column is "from the future". */
  futureShare: 0.5,
} as const;

const n = (x: number) => x.toLocaleString('en-US');
const pct = (x: number) => {
  const p = x * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toPrecision(2)} %`;
};

/** Whether a feature is an exact function of the target (and vice versa), or linearly identical to it. */
export function isTargetFunction(f: FeatureTarget): { yes: boolean; evidence: string } {
  const { pairs, feature, target } = f.pairs ?? { pairs: 0, feature: 0, target: 0 };
  if (feature >= 2 && pairs === feature && pairs === target) {
    return {
      yes: true,
      evidence: `${n(feature)} distinct values map one-to-one onto ${n(target)} target values (${n(pairs)} distinct pairs)`,
    };
  }
  if (f.corr !== undefined && Math.abs(f.corr) >= THRESHOLDS.targetCorrelation) {
    return { yes: true, evidence: `Pearson r with the target = ${f.corr.toFixed(4)}` };
  }
  return { yes: false, evidence: '' };
}

function strengthText(f: FeatureTarget): string {
  if (f.metric === 'auc') return `univariate ROC-AUC ${f.strength.toFixed(3)}`;
  if (f.metric === 'eta2') return `correlation ratio η² ${f.strength.toFixed(3)}`;
  return `uncertainty coefficient ${f.strength.toFixed(3)} (mutual information ${(f.mutualInfo ?? 0).toFixed(3)} bits)`;
}

export function warningsFor(profile: Profile): Warning[] {
  const out: Warning[] = [];
  const rows = profile.rows;
  const target = profile.target?.column;

  if (profile.duplicateRows > 0) {
    const share = rows > 0 ? profile.duplicateRows / rows : 0;
    out.push({
      code: 'duplicates',
      severity: share > 0.01 ? 'warn' : 'info',
      message: `${profile.approximate ? 'About ' : ''}${n(profile.duplicateRows)} row${profile.duplicateRows === 1 ? '' : 's'} repeat an earlier row exactly`,
      evidence: profile.approximate
        ? `${n(rows)} rows; estimated from a ${n(profile.approximate.sampleRows)}-row sample (1 in ${profile.approximate.every}, identical rows sampled together): ≈ ${pct(share)} duplicates`
        : `${n(rows)} rows, ${n(rows - profile.duplicateRows)} distinct (${pct(share)} duplicates)`,
      suggestion:
        'De-duplicate with SELECT DISTINCT, or check the join that produced this table for fan-out.',
    });
  }

  for (const c of profile.columns) {
    if (c.semantic === 'identifier' && c.name !== target) {
      out.push({
        code: 'identifier',
        column: c.name,
        severity: 'warn',
        message: `"${c.name}" looks like an identifier, not a feature`,
        evidence: `${c.semanticReason}: ${n(c.distinct)} distinct of ${n(c.present)} present values`,
        suggestion: 'Exclude it from model features; use it only to join or de-duplicate.',
      });
    }
    if (
      c.present > 0 &&
      c.topShare >= THRESHOLDS.constantShare &&
      c.semantic !== 'identifier' &&
      c.name !== target
    ) {
      const top = c.topValues[0];
      const constant = c.distinct === 1;
      out.push({
        code: 'constant',
        column: c.name,
        severity: constant ? 'warn' : 'info',
        message: constant ? `"${c.name}" is constant` : `"${c.name}" is nearly constant`,
        evidence: `"${top?.value}" in ${n(top?.count ?? 0)} of ${n(c.present)} present values (${pct(c.topShare)}); ${n(c.distinct)} distinct`,
        suggestion: constant
          ? 'Drop it: it carries no information.'
          : 'Drop it, or keep it only if the rare values matter.',
      });
    }
    if (rows > 0 && c.missing / rows > THRESHOLDS.missingShare) {
      const parts = [`${n(c.nulls)} NULL`];
      if (c.nans) parts.push(`${n(c.nans)} NaN`);
      if (c.empty) parts.push(`${n(c.empty)} empty`);
      out.push({
        code: 'missing',
        column: c.name,
        severity: c.missing === rows ? 'danger' : 'warn',
        message: `"${c.name}" is missing in ${pct(c.missing / rows)} of rows`,
        evidence: `${n(c.missing)} of ${n(rows)} rows missing (${parts.join(', ')})`,
        suggestion: 'Drop it, or add a "was missing" indicator before imputing.',
      });
    }
    if (
      c.semantic === 'categorical' &&
      c.distinct > THRESHOLDS.highCardinalityLevels &&
      c.distinct > THRESHOLDS.highCardinalityShare * rows
    ) {
      out.push({
        code: 'high-cardinality',
        column: c.name,
        severity: 'warn',
        message: `"${c.name}" has ${n(c.distinct)} categories`,
        evidence: `${n(c.distinct)} distinct values in ${n(rows)} rows (${pct(c.distinct / rows)}); the top value covers ${pct(c.topShare)}`,
        suggestion: 'Group rare levels into "other", or use target/frequency encoding instead of one-hot.',
      });
    }
    if (c.afterPredictionTime && c.afterPredictionTime.share > THRESHOLDS.futureShare) {
      const a = c.afterPredictionTime;
      out.push({
        code: 'future-timestamp',
        column: c.name,
        severity: 'danger',
        message: `"${c.name}" is later than the prediction time "${profile.target?.predictionTime}" in most rows`,
        evidence: `${n(a.rows)} of ${n(a.comparable)} rows (${pct(a.share)}) have ${c.name} > ${profile.target?.predictionTime}`,
        suggestion:
          'Information from the future: drop it, or only use values known before the prediction time.',
      });
    }
  }

  const t = profile.target;
  if (t) {
    if (t.minorityShare !== undefined && t.classes && t.minorityShare < THRESHOLDS.minorityShare) {
      const minority = t.classes.reduce((a, b) => (b.count < a.count ? b : a));
      out.push({
        code: 'imbalance',
        column: t.column,
        severity: 'warn',
        message: `Target "${t.column}" is imbalanced: class "${minority.value}" is ${pct(t.minorityShare)} of rows`,
        evidence: t.classes.map((c) => `${c.value}: ${n(c.count)}`).join(', '),
        suggestion:
          'Use stratified splits and judge models by PR-AUC or recall at a threshold, not accuracy.',
      });
    }
    for (const f of t.features) {
      const fn = isTargetFunction(f);
      if (fn.yes) {
        out.push({
          code: 'target-function',
          column: f.column,
          severity: 'danger',
          message: `"${f.column}" is an exact function of the target "${t.column}"`,
          evidence: fn.evidence,
          suggestion: 'It is the target in disguise (derived from the label): drop it.',
        });
      } else if (f.strength >= THRESHOLDS.leakage) {
        out.push({
          code: 'leakage',
          column: f.column,
          severity: 'danger',
          message: `"${f.column}" alone almost perfectly predicts "${t.column}": likely leakage`,
          evidence: `${strengthText(f)} (threshold ${THRESHOLDS.leakage})`,
          suggestion: 'Check how it is recorded: if it is known only after the outcome, drop it.',
        });
      }
    }
  }
  const rank = { danger: 0, warn: 1, info: 2 } as const;
  return out.sort((a, b) => rank[a.severity] - rank[b.severity]);
}
