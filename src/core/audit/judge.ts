/**
 * Second opinions on an inferred category.
 * (a) `BuiltinJudge`: independent of the retriever: multinomial naive Bayes per category trained on
 *     OTHER items' labels (the judged item's own label is subtracted), plus path-consistency (does the
 *     title contain words of the inferred path?) and manufacturer fit (which categories do the other
 *     items of the same manufacturer carry?).
 * (b) `llmJudge`: any OpenAI-compatible chat-completions endpoint, strict JSON contract, retries with
 *     backoff on 429/5xx/timeouts and a rate limiter.
 */
import { z } from 'zod';
import type { CategoryIndex } from './categoryIndex.ts';
import { tokenize } from './normalize.ts';

export type Verdict = 'confirm' | 'reject';

export interface Judgement {
  verdict: Verdict;
  reason: string;
}

export interface JudgeItem {
  id: string;
  title: string;
  text?: string;
  manufacturer?: string;
  /** Existing label (category id), never used as evidence for this item. */
  label?: string;
}

export interface BuiltinJudgement extends Judgement {
  evidence: {
    nbRank: number;
    nbCategories: number;
    nbTop: string | null;
    pathWords: string[];
    manufacturerShare: number | null;
  };
}

export interface NbClass {
  counts: Map<string, number>;
  total: number;
  docs: number;
}

const ordinal = (n: number): string => {
  const s = ['th', 'st', 'nd', 'rd'];
  const v = n % 100;
  return n + (s[(v - 20) % 10] ?? s[v] ?? s[0]);
};

/** `BuiltinJudge.toState()`: naive Bayes counts by category, vocabulary, categories by manufacturer. */
export interface BuiltinJudgeState {
  classes: Map<string, NbClass>;
  vocab: Set<string>;
  byManufacturer: Map<string, Map<string, number>>;
  nDocs: number;
}

export class BuiltinJudge {
  private readonly classes = new Map<string, NbClass>();
  private readonly vocab = new Set<string>();
  private readonly byManufacturer = new Map<string, Map<string, number>>();
  private readonly trained = new Map<string, { label: string; tokens: string[]; manufacturer: string }>();
  private nDocs = 0;

  /** `labelled`: items with trusted-enough labels (category ids of `index`). */
  constructor(
    private readonly index: CategoryIndex,
    labelled: readonly JudgeItem[],
  ) {
    for (const it of labelled) {
      if (it.label === undefined || index.indexOfId(it.label) < 0) continue;
      const tokens = tokenize(it.text ? `${it.title} ${it.text}` : it.title);
      const manufacturer = (it.manufacturer ?? '').trim().toLowerCase();
      this.trained.set(it.id, { label: it.label, tokens, manufacturer });
      this.add(it.label, tokens, manufacturer, 1);
    }
  }

  /**
   * The trained statistics as structured-cloneable data (Maps and a Set), e.g. to build the judge in a
   * worker_thread and hand it back. The per-item memory that lets `judge` leave a TRAINING item's own
   * label out is not included: a restored judge treats every item as unseen (as a served title is).
   */
  toState(): BuiltinJudgeState {
    return {
      classes: this.classes,
      vocab: this.vocab,
      byManufacturer: this.byManufacturer,
      nDocs: this.nDocs,
    };
  }

  /** A judge over `index` with the statistics of `toState` (no retraining; the Maps are adopted, not copied). */
  static fromState(index: CategoryIndex, s: BuiltinJudgeState): BuiltinJudge {
    const j = new BuiltinJudge(index, []);
    Object.assign(j, {
      classes: s.classes,
      vocab: s.vocab,
      byManufacturer: s.byManufacturer,
      nDocs: s.nDocs,
    });
    return j;
  }

  private add(label: string, tokens: string[], manufacturer: string, sign: 1 | -1): void {
    let c = this.classes.get(label);
    if (!c) {
      c = { counts: new Map(), total: 0, docs: 0 };
      this.classes.set(label, c);
    }
    c.docs += sign;
    this.nDocs += sign;
    for (const t of tokens) {
      c.counts.set(t, (c.counts.get(t) ?? 0) + sign);
      c.total += sign;
      if (sign > 0) this.vocab.add(t);
    }
    if (manufacturer) {
      let m = this.byManufacturer.get(manufacturer);
      if (!m) {
        m = new Map();
        this.byManufacturer.set(manufacturer, m);
      }
      m.set(label, (m.get(label) ?? 0) + sign);
    }
  }

  judge(item: JudgeItem, inferredId: string): BuiltinJudgement {
    const own = this.trained.get(item.id);
    // Leave the item's own label out of every statistic used for it.
    if (own) this.add(own.label, own.tokens, own.manufacturer, -1);
    try {
      return this.judgeInner(item, inferredId);
    } finally {
      if (own) this.add(own.label, own.tokens, own.manufacturer, 1);
    }
  }

  private judgeInner(item: JudgeItem, inferredId: string): BuiltinJudgement {
    const tokens = tokenize(item.text ? `${item.title} ${item.text}` : item.title);
    const v = this.vocab.size + 1;
    const scores: Array<[string, number]> = [];
    for (const [label, c] of this.classes) {
      if (c.docs <= 0) continue;
      let s = Math.log(c.docs / this.nDocs);
      for (const t of tokens) s += Math.log(((c.counts.get(t) ?? 0) + 0.5) / (c.total + 0.5 * v));
      scores.push([label, s]);
    }
    scores.sort((a, b) => b[1] - a[1]);
    const pos = scores.findIndex(([l]) => l === inferredId);
    const nbRank = pos >= 0 ? pos + 1 : scores.length + 1;
    const nbTop = scores.length ? scores[0][0] : null;
    const leaf = this.index.leaves[this.index.indexOfId(inferredId)];
    const pathTokens = new Set((leaf?.path ?? []).flatMap((p) => tokenize(p)));
    const pathWords = [...new Set(tokens.filter((t) => pathTokens.has(t)))];
    const m = (item.manufacturer ?? '').trim().toLowerCase();
    const mc = m ? this.byManufacturer.get(m) : undefined;
    let mTotal = 0;
    if (mc) for (const n of mc.values()) mTotal += n;
    const manufacturerShare = mc && mTotal > 0 ? (mc.get(inferredId) ?? 0) / mTotal : null;

    const name = (id: string | null): string => {
      if (id === null) return 'none';
      const l = this.index.leaves[this.index.indexOfId(id)];
      return l ? `“${l.path.join(' > ')}”` : id;
    };
    const nbOk = nbRank === 1 || (nbRank <= 3 && scores.length >= 20);
    const pathOk = pathWords.length > 0;
    const manOk = manufacturerShare !== null && mTotal >= 3 && manufacturerShare >= 0.5;
    const verdict: Verdict =
      nbOk || manOk || (pathOk && nbRank <= Math.max(2, Math.ceil(scores.length * 0.1)))
        ? 'confirm'
        : 'reject';
    const nbSentence =
      pos >= 0
        ? `Naive Bayes over ${this.nDocs} other labelled items ranks ${name(inferredId)} ${ordinal(nbRank)} of ${scores.length}` +
          (nbRank > 1 ? ` (its top choice is ${name(nbTop)})` : '')
        : `No other labelled item carries ${name(inferredId)}, so naive Bayes cannot support it (its top choice is ${name(nbTop)})`;
    const extra: string[] = [];
    extra.push(
      pathOk
        ? `the title shares ${pathWords.map((w) => `“${w}”`).join(', ')} with the category path`
        : 'the title shares no word with the category path',
    );
    if (manufacturerShare !== null && mTotal >= 3)
      extra.push(
        `${Math.round(manufacturerShare * 100)}% of ${mTotal} other items by “${item.manufacturer}” are in this category`,
      );
    return {
      verdict,
      reason: `${nbSentence}. ${extra.join('; ').replace(/^./, (c) => c.toUpperCase())}.`,
      evidence: { nbRank, nbCategories: scores.length, nbTop, pathWords, manufacturerShare },
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// (b) LLM judge

export interface LlmConfig {
  /** Base URL (…/v1) or the full …/chat/completions URL. */
  url: string;
  model: string;
  apiKey?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt on 429 / 5xx / timeouts / network errors (default 3). */
  retries?: number;
  /** First backoff delay; doubles each retry, Retry-After honoured (default 500 ms). */
  backoffMs?: number;
  limiter?: RateLimiter;
}

export interface LlmInferred {
  categoryId: string;
  name: string;
  path: string[];
}

export type LlmJudgement =
  | (Judgement & { ok: true; attempts: number })
  | { ok: false; error: string; attempts: number };

export const judgementSchema = z.strictObject({
  verdict: z.enum(['confirm', 'reject']),
  reason: z.string().min(1).max(2000),
});

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});

/** At most `maxConcurrent` tasks at once and at least `minIntervalMs` between starts. */
export class RateLimiter {
  private active = 0;
  private lastStart = -Infinity;
  private readonly queue: Array<() => void> = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  constructor(
    readonly maxConcurrent = 4,
    readonly minIntervalMs = 0,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    await new Promise<void>((res) => {
      this.queue.push(res);
      this.pump();
    });
    try {
      return await task();
    } finally {
      this.active--;
      this.pump();
    }
  }

  private pump(): void {
    if (this.timer) return;
    while (this.queue.length && this.active < this.maxConcurrent) {
      const wait = this.lastStart + this.minIntervalMs - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, wait);
        return;
      }
      this.active++;
      this.lastStart = Date.now();
      this.queue.shift()!();
    }
  }
}

const SYSTEM_PROMPT =
  'You check product categorisation. Given a product and a proposed category path, answer ONLY with a JSON ' +
  'object {"verdict": "confirm" | "reject", "reason": "<one or two sentences>"}: confirm when the category ' +
  'fits the product, reject otherwise. No other text.';

function completionsUrl(url: string): string {
  const u = url.replace(/\/+$/, '');
  return u.endsWith('/chat/completions') ? u : `${u}/chat/completions`;
}

/** Parses the model's message content under the strict contract; an Error with a clear message otherwise. */
export function parseJudgement(content: string): Judgement {
  const stripped = content
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  let json: unknown;
  try {
    json = JSON.parse(stripped);
  } catch {
    throw new Error(`invalid response: not JSON: ${JSON.stringify(content.slice(0, 120))}`);
  }
  const r = judgementSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(
      `invalid response: does not match {"verdict": "confirm"|"reject", "reason": string}: ${issues}`,
    );
  }
  return r.data;
}

class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Asks the endpoint to confirm or reject `inferred` for `item`. Never throws: failures come back as `{ ok: false, error }`. */
export async function llmJudge(
  config: LlmConfig,
  item: JudgeItem,
  inferred: LlmInferred,
  fetchImpl: typeof fetch = fetch,
): Promise<LlmJudgement> {
  const retries = config.retries ?? 3;
  const timeoutMs = config.timeoutMs ?? 30_000;
  const backoff = config.backoffMs ?? 500;
  const body = JSON.stringify({
    model: config.model,
    temperature: 0,
    response_format: { type: 'json_object' },
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      {
        role: 'user',
        content: JSON.stringify({
          product: {
            title: item.title,
            ...(item.text ? { text: item.text } : {}),
            ...(item.manufacturer ? { manufacturer: item.manufacturer } : {}),
          },
          proposedCategory: inferred.path.join(' > ') || inferred.name,
        }),
      },
    ],
  });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  const url = completionsUrl(config.url);

  const once = async (): Promise<Judgement> => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetchImpl(url, { method: 'POST', headers, body, signal: ac.signal });
      text = await res.text();
    } catch (e) {
      if (ac.signal.aborted) throw new RetryableError(`timed out after ${timeoutMs} ms`);
      throw new RetryableError(`network error: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      clearTimeout(timer);
    }
    if (res.status === 429 || res.status >= 500) {
      const ra = Number(res.headers.get('retry-after'));
      throw new RetryableError(
        `HTTP ${res.status}: ${text.slice(0, 200)}`,
        Number.isFinite(ra) && ra > 0 ? ra * 1000 : null,
      );
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      throw new Error('invalid response: the endpoint did not return a chat-completions JSON body');
    }
    const c = completionSchema.safeParse(payload);
    if (!c.success || c.data.choices[0].message.content == null)
      throw new Error('invalid response: the endpoint reply has no choices[0].message.content');
    return parseJudgement(c.data.choices[0].message.content);
  };

  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const j = config.limiter ? await config.limiter.run(once) : await once();
      return { ok: true, ...j, attempts };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (!(e instanceof RetryableError) || attempts > retries) {
        return {
          ok: false,
          error: `item ${item.id}: LLM judge failed after ${attempts} attempt(s): ${msg}`,
          attempts,
        };
      }
      await sleep(e.retryAfterMs ?? backoff * 2 ** (attempts - 1));
    }
  }
}
