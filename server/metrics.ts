/**
 * Prometheus metrics (text exposition format 0.0.4), kept in memory per process:
 * - `benchtop_http_requests_total{method,route,status}` — route is the route template
 *   (`/v1/models/{name}/predict`), never the raw path, so label cardinality stays bounded;
 * - `benchtop_http_request_duration_seconds{route}` — latency histogram;
 * - `benchtop_predictions_total{model}` — rows predicted per model;
 * - `benchtop_prediction_value{model}` — histogram of binary P(positive) (buckets 0.1…1) and
 *   regression values (10 equal buckets over the training target's range);
 * - `benchtop_predicted_class_total{model,label}` — multiclass predicted labels.
 */

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (l: Record<string, string>) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const num = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

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
  lines(name: string, l: Record<string, string>): string[] {
    const out = this.buckets.map((b, i) => `${name}_bucket${labels({ ...l, le: num(b) })} ${this.counts[i]}`);
    out.push(`${name}_bucket${labels({ ...l, le: '+Inf' })} ${this.count}`);
    out.push(`${name}_sum${labels(l)} ${this.sum}`);
    out.push(`${name}_count${labels(l)} ${this.count}`);
    return out;
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

export class Metrics {
  private requests = new Map<string, { l: Record<string, string>; n: number }>();
  private latency = new Map<string, Histogram>();
  private predictions = new Map<string, number>();
  private values = new Map<string, Histogram>();
  private classes = new Map<string, { l: Record<string, string>; n: number }>();

  request(method: string, route: string, status: number, seconds: number): void {
    const l = { method, route, status: String(status) };
    const key = `${method} ${route} ${status}`;
    const r = this.requests.get(key);
    if (r) r.n++;
    else this.requests.set(key, { l, n: 1 });
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
    this.predictions.set(model, (this.predictions.get(model) ?? 0) + outputs.length);
    if (task === 'multiclass') {
      for (const o of outputs) {
        let best = 0;
        for (let c = 1; c < o.length; c++) if (o[c] > o[best]) best = c;
        const label = opts.classes?.[best] ?? String(best);
        const key = `${model}\u0000${label}`;
        const r = this.classes.get(key);
        if (r) r.n++;
        else this.classes.set(key, { l: { model, label }, n: 1 });
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

  /** Forget a deleted model's series. */
  dropModel(model: string): void {
    this.predictions.delete(model);
    this.values.delete(model);
    for (const [k, v] of this.classes) if (v.l.model === model) this.classes.delete(k);
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP benchtop_http_requests_total HTTP requests by method, route template and status.');
    out.push('# TYPE benchtop_http_requests_total counter');
    for (const { l, n } of this.requests.values()) out.push(`benchtop_http_requests_total${labels(l)} ${n}`);
    out.push('# HELP benchtop_http_request_duration_seconds Request latency by route template.');
    out.push('# TYPE benchtop_http_request_duration_seconds histogram');
    for (const [route, h] of this.latency)
      out.push(...h.lines('benchtop_http_request_duration_seconds', { route }));
    out.push('# HELP benchtop_predictions_total Rows predicted per model.');
    out.push('# TYPE benchtop_predictions_total counter');
    for (const [model, n] of this.predictions)
      out.push(`benchtop_predictions_total${labels({ model })} ${n}`);
    out.push('# HELP benchtop_prediction_value Predicted value (binary: P(positive); regression: value).');
    out.push('# TYPE benchtop_prediction_value histogram');
    for (const [model, h] of this.values) out.push(...h.lines('benchtop_prediction_value', { model }));
    out.push('# HELP benchtop_predicted_class_total Multiclass predictions per label.');
    out.push('# TYPE benchtop_predicted_class_total counter');
    for (const { l, n } of this.classes.values()) out.push(`benchtop_predicted_class_total${labels(l)} ${n}`);
    return `${out.join('\n')}\n`;
  }
}
