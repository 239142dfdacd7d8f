/**
 * A strict reader of the Prometheus text exposition format 0.0.4 for the tests: throws on anything a
 * scraper would reject or misread (a sample before its TYPE, a malformed line or label, a series
 * twice, a histogram whose buckets are not cumulative or whose +Inf bucket is not its _count).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/;

function parseLabels(s: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = s;
  while (rest.length) {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`bad labels in: ${line}`);
    if (m[1] in out) throw new Error(`label ${m[1]} twice in: ${line}`);
    out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return out;
}

const seriesKey = (name: string, l: Record<string, string>) =>
  `${name}{${Object.keys(l)
    .sort()
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(',')}}`;

export function parseExposition(text: string): { samples: Sample[]; comments: string[] } {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const comments: string[] = [];
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type))
        throw new Error(`bad TYPE: ${line}`);
      if (types.has(name)) throw new Error(`TYPE twice: ${line}`);
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) {
      if (!line.startsWith('# HELP ')) comments.push(line);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`bad sample line: ${JSON.stringify(line)}`);
    const name = m[1];
    const labels = parseLabels(m[3] ?? '', line);
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    if (Number.isNaN(value) && m[4] !== 'NaN') throw new Error(`bad value: ${line}`);
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const type = types.get(family);
    if (!type) throw new Error(`sample before its TYPE: ${line}`);
    if (type === 'counter' && !(value >= 0)) throw new Error(`negative counter: ${line}`);
    const key = seriesKey(name, labels);
    if (seen.has(key)) throw new Error(`series twice: ${line}`);
    seen.add(key);
    samples.push({ name, labels, value });
  }
  // Histograms: cumulative buckets, +Inf = _count.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, { le: number; v: number }[]>();
    for (const s of samples) {
      if (s.name !== `${family}_bucket`) continue;
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${family}_bucket without le`);
      const k = seriesKey(family, rest);
      const list = groups.get(k) ?? [];
      list.push({ le: le === '+Inf' ? Infinity : Number(le), v: s.value });
      groups.set(k, list);
    }
    for (const [k, list] of groups) {
      list.sort((a, b) => a.le - b.le);
      for (let i = 1; i < list.length; i++)
        if (list[i].v < list[i - 1].v) throw new Error(`${k}: buckets not cumulative`);
      if (list.at(-1)?.le !== Infinity) throw new Error(`${k}: no +Inf bucket`);
      const count = samples.find((s) => s.name === `${family}_count` && seriesKey(family, s.labels) === k);
      if (count?.value !== list.at(-1)?.v) throw new Error(`${k}: +Inf bucket ≠ _count`);
    }
  }
  return { samples, comments };
}

/** The value of one series (labels must match exactly), or undefined. */
export function seriesValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const k = seriesKey(name, labels);
  return samples.find((s) => seriesKey(s.name, s.labels) === k)?.value;
}

/** Sum of every series of `name` whose labels include `match`. */
export function sumOf(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  let t = 0;
  for (const s of samples)
    if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) t += s.value;
  return t;
}
