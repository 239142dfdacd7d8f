/**
 * Prometheus metrics (text exposition format 0.0.4), kept in memory per process:
 * - `benchtop_http_requests_total{method,route,status}` — route is the route template
 *   (`/v1/models/{name}/predict`), never the raw path, so label cardinality stays bounded;
 * - `benchtop_http_request_duration_seconds{route}` — latency histogram;
 * - `benchtop_predictions_total{model,kind}` — rows predicted per model (`kind` = `tabular` or `audit`);
 * - `benchtop_prediction_value{model}` — histogram of binary P(positive) (buckets 0.1…1) and
 *   regression values (10 equal buckets over the training target's range);
 * - `benchtop_predicted_class_total{model,label}` — multiclass predicted labels;
 * - `benchtop_audit_verdict_total{model,verdict}` — label-audit verdicts (`confirm`, `reject`, `none`);
 * - `benchtop_explain_threads{state}` (gauge: `configured`, `ready`) and
 *   `benchtop_explained_in_threads_total` — the explanation threads (server/explainPool.ts), read at
 *   scrape time: a `ready` below `configured` for long means threads failed (explanations then run in
 *   the event loop, and the server log says why).
 *
 * Several processes (server/cluster.ts workers): each process keeps its own registry; `snapshot()` is
 * a plain, structured-cloneable copy of it, and `mergeSnapshots` + `renderSnapshot` sum the copies of
 * every worker into one exposition (counters and histogram buckets add up, like prom-client's
 * AggregatorRegistry). A worker's `/metrics` calls `exposition()`, which uses the cluster's gatherer
 * when one is set and this process alone otherwise.
 */

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (l: Labels) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const num = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');
/** Series identity: label names and values in a fixed order (NUL never appears in a label). */
const keyOf = (l: Labels) =>
  Object.keys(l)
    .sort()
    .map((k) => `${k}\u0000${l[k]}`)
    .join('\u0000');

/** One counter series. */
export interface CounterSample {
  l: Labels;
  n: number;
}

/** One histogram series: per-bucket cumulative counts (`le` = buckets[i]), plus sum and count (+Inf). */
export interface HistogramSample {
  l: Labels;
  buckets: number[];
  counts: number[];
  sum: number;
  count: number;
}

/** Everything a registry holds, as plain data (crosses process.send / postMessage as is). */
export interface MetricsSnapshot {
  requests: CounterSample[];
  latency: HistogramSample[];
  predictions: CounterSample[];
  values: HistogramSample[];
  classes: CounterSample[];
  verdicts: CounterSample[];
  /** Explanation threads at snapshot time (server/explainPool.ts ThreadStats). */
  explain: { configured: number; ready: number; rows: number };
}

type CounterFamily = 'requests' | 'predictions' | 'classes' | 'verdicts';
type HistogramFamily = 'latency' | 'values';

function bump(map: Map<string, CounterSample>, l: Labels, by = 1): void {
  const key = keyOf(l);
  const r = map.get(key);
  if (r) r.n += by;
  else map.set(key, { l, n: by });
}

class Histogram {
  counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: number[]) {
    this.counts = new Array(buckets.length).fill(0);
  }
  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.counts[i]++;
  }
  sample(l: Labels): HistogramSample {
    return {
      l: { ...l },
      buckets: [...this.buckets],
      counts: [...this.counts],
      sum: this.sum,
      count: this.count,
    };
  }
}

/** Route template of a path, for metrics and logs. */
export function routeOf(path: string): string {
  if (path === '/predict' || path === '/healthz' || path === '/metrics' || path === '/openapi.json')
    return path;
  if (path === '/v1/models') return path;
  const m = /^\/v1\/models\/[^/]+(?:\/([^/]+))?$/.exec(path);
  if (m && m[1] === undefined) return '/v1/models/{name}';
  if (m && (m[1] === 'predict' || m[1] === 'drift')) return `/v1/models/{name}/${m[1]}`;
  if (path.startsWith('/v1/')) return '/v1/{other}';
  return '(static)';
}

/** What the cluster's gatherer returns: every answering process's snapshot, and who did not answer. */
export interface Gathered {
  snapshots: MetricsSnapshot[];
  /** Processes asked (this one included). */
  asked: number;
  /** Labels (e.g. worker slots) of the processes that did not answer in time. */
  missing: string[];
}

export class Metrics {
  private requests = new Map<string, CounterSample>();
  private latency = new Map<string, Histogram>();
  private predictions = new Map<string, CounterSample>();
  private values = new Map<string, Histogram>();
  private classes = new Map<string, CounterSample>();
  private verdicts = new Map<string, CounterSample>();
  /**
   * Set by server/cluster.ts in a worker: collects every worker's snapshot (this one's included) for
   * `/metrics`. Unset: this process alone.
   */
  gather: ((own: MetricsSnapshot) => Promise<Gathered>) | undefined;
  /** Set by createApp: the model store's explanation threads, read at each snapshot. */
  explainThreads: (() => { configured: number; ready: number; rows: number }) | undefined;

  request(method: string, route: string, status: number, seconds: number): void {
    bump(this.requests, { method, route, status: String(status) });
    let h = this.latency.get(route);
    if (!h) {
      h = new Histogram(LATENCY_BUCKETS);
      this.latency.set(route, h);
    }
    h.observe(seconds);
  }

  /** Record predictions: outputs per row (binary [p], multiclass probabilities, regression [value]). */
  predicted(
    model: string,
    task: 'binary' | 'multiclass' | 'regression',
    outputs: number[][],
    opts: { classes?: string[]; range?: [number, number] },
  ): void {
    bump(this.predictions, { model, kind: 'tabular' }, outputs.length);
    if (task === 'multiclass') {
      for (const o of outputs) {
        let best = 0;
        for (let c = 1; c < o.length; c++) if (o[c] > o[best]) best = c;
        bump(this.classes, { model, label: opts.classes?.[best] ?? String(best) });
      }
      return;
    }
    let h = this.values.get(model);
    if (!h) {
      let buckets = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
      if (task === 'regression') {
        const [lo, hi] = opts.range ?? [0, 1];
        const w = (hi - lo) / 10 || 1;
        buckets = Array.from({ length: 11 }, (_, i) => Number((lo + i * w).toPrecision(6)));
        buckets = [...new Set(buckets)];
      }
      h = new Histogram(buckets);
      this.values.set(model, h);
    }
    for (const o of outputs) h.observe(o[0]);
  }

  /** Record label-audit predictions (server/auditPredict.ts): rows per model and their verdicts. */
  predictedAudit(model: string, verdicts: readonly (string | null)[]): void {
    bump(this.predictions, { model, kind: 'audit' }, verdicts.length);
    for (const v of verdicts) bump(this.verdicts, { model, verdict: v ?? 'none' });
  }

  /** Forget a deleted model's series. */
  dropModel(model: string): void {
    this.values.delete(model);
    for (const map of [this.predictions, this.classes, this.verdicts])
      for (const [k, v] of map) if (v.l.model === model) map.delete(k);
  }

  /** A plain copy of every series (for the cluster's aggregation). */
  snapshot(): MetricsSnapshot {
    const counters = (m: Map<string, CounterSample>) =>
      [...m.values()].map((s) => ({ l: { ...s.l }, n: s.n }));
    return {
      requests: counters(this.requests),
      latency: [...this.latency].map(([route, h]) => h.sample({ route })),
      predictions: counters(this.predictions),
      values: [...this.values].map(([model, h]) => h.sample({ model })),
      classes: counters(this.classes),
      verdicts: counters(this.verdicts),
      explain: { ...(this.explainThreads?.() ?? { configured: 0, ready: 0, rows: 0 }) },
    };
  }

  /** This process's exposition. */
  render(): string {
    return renderSnapshot(this.snapshot());
  }

  /** What `/metrics` answers: every worker's series summed when in a cluster, else this process's. */
  async exposition(): Promise<string> {
    if (!this.gather) return this.render();
    const own = this.snapshot();
    const g = await this.gather(own).catch(
      (): Gathered => ({
        snapshots: [own],
        asked: 1,
        missing: ['(the cluster primary did not answer: this worker only)'],
      }),
    );
    return renderSnapshot(mergeSnapshots(g.snapshots), {
      asked: g.asked,
      answered: g.snapshots.length,
      missing: g.missing,
    });
  }
}

/** Sum histograms that may have different bucket bounds (see mergeSnapshots). */
function mergeHistograms(hs: HistogramSample[]): HistogramSample {
  const bounds = [...new Set(hs.flatMap((h) => h.buckets))].sort((a, b) => a - b);
  const counts = bounds.map((b) => {
    let c = 0;
    for (const h of hs) {
      // Cumulative count at `b`: that of the largest own bound ≤ b (exact when b is one of its bounds).
      let j = -1;
      for (let i = 0; i < h.buckets.length && h.buckets[i] <= b; i++) j = i;
      if (j >= 0) c += h.counts[j];
    }
    return c;
  });
  return {
    l: { ...hs[0].l },
    buckets: bounds,
    counts,
    sum: hs.reduce((s, h) => s + h.sum, 0),
    count: hs.reduce((s, h) => s + h.count, 0),
  };
}

/**
 * Sum snapshots series by series (same labels = same series). Histograms of one series normally have
 * the same bounds in every process; when they differ (a regression model whose first prediction in
 * each worker came from versions with different target ranges) the merged series takes every bound,
 * each process contributing its count at its largest bound below it — cumulative counts stay
 * monotonic, so the exposition stays valid.
 */
export function mergeSnapshots(snaps: readonly MetricsSnapshot[]): MetricsSnapshot {
  const counters = (f: CounterFamily): CounterSample[] => {
    const m = new Map<string, CounterSample>();
    for (const s of snaps) for (const c of s[f]) bump(m, { ...c.l }, c.n);
    return [...m.values()];
  };
  const histograms = (f: HistogramFamily): HistogramSample[] => {
    const m = new Map<string, HistogramSample[]>();
    for (const s of snaps)
      for (const h of s[f]) {
        const k = keyOf(h.l);
        const list = m.get(k);
        if (list) list.push(h);
        else m.set(k, [h]);
      }
    return [...m.values()].map(mergeHistograms);
  };
  return {
    requests: counters('requests'),
    latency: histograms('latency'),
    predictions: counters('predictions'),
    values: histograms('values'),
    classes: counters('classes'),
    verdicts: counters('verdicts'),
    explain: {
      configured: snaps.reduce((a, s) => a + (s.explain?.configured ?? 0), 0),
      ready: snaps.reduce((a, s) => a + (s.explain?.ready ?? 0), 0),
      rows: snaps.reduce((a, s) => a + (s.explain?.rows ?? 0), 0),
    },
  };
}

function histogramLines(name: string, h: HistogramSample): string[] {
  const out = h.buckets.map((b, i) => `${name}_bucket${labels({ ...h.l, le: num(b) })} ${h.counts[i]}`);
  out.push(`${name}_bucket${labels({ ...h.l, le: '+Inf' })} ${h.count}`);
  out.push(`${name}_sum${labels(h.l)} ${h.sum}`);
  out.push(`${name}_count${labels(h.l)} ${h.count}`);
  return out;
}

/**
 * Text exposition of a snapshot. With `cluster` (the gatherer's answer), two gauges say how many
 * worker processes were asked and how many answered, and a comment names the ones skipped.
 */
export function renderSnapshot(
  s: MetricsSnapshot,
  cluster?: { asked: number; answered: number; missing: string[] },
): string {
  const out: string[] = [];
  const counter = (name: string, help: string, samples: CounterSample[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const { l, n } of samples) out.push(`${name}${labels(l)} ${n}`);
  };
  const histogram = (name: string, help: string, samples: HistogramSample[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    for (const h of samples) out.push(...histogramLines(name, h));
  };
  counter('benchtop_http_requests_total', 'HTTP requests by method, route template and status.', s.requests);
  histogram('benchtop_http_request_duration_seconds', 'Request latency by route template.', s.latency);
  counter('benchtop_predictions_total', 'Rows predicted per model (kind: tabular or audit).', s.predictions);
  histogram(
    'benchtop_prediction_value',
    'Predicted value (binary: P(positive); regression: value).',
    s.values,
  );
  counter('benchtop_predicted_class_total', 'Multiclass predictions per label.', s.classes);
  counter(
    'benchtop_audit_verdict_total',
    'Label-audit verdicts per model (confirm, reject, none).',
    s.verdicts,
  );
  out.push(
    '# HELP benchtop_explain_threads Explanation worker threads: configured, and ready (taking jobs).',
    '# TYPE benchtop_explain_threads gauge',
    `benchtop_explain_threads{state="configured"} ${s.explain.configured}`,
    `benchtop_explain_threads{state="ready"} ${s.explain.ready}`,
    '# HELP benchtop_explained_in_threads_total Rows explained in an explanation thread (the others: in the event loop).',
    '# TYPE benchtop_explained_in_threads_total counter',
    `benchtop_explained_in_threads_total ${s.explain.rows}`,
  );
  if (cluster) {
    out.push(
      '# HELP benchtop_metrics_workers Worker processes asked for this scrape, and those that answered.',
    );
    out.push('# TYPE benchtop_metrics_workers gauge');
    out.push(`benchtop_metrics_workers{state="asked"} ${cluster.asked}`);
    out.push(`benchtop_metrics_workers{state="answered"} ${cluster.answered}`);
    if (cluster.missing.length)
      out.push(
        `# benchtop: no answer in time from ${cluster.missing.join(', ').replace(/\n/g, ' ')}; their series are left out`,
      );
  }
  return `${out.join('\n')}\n`;
}
