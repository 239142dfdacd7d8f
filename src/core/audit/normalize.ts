/**
 * Text normalisation for the label audit: HTML entities, case, accents, tokens, light English
 * plural stemming, stopwords and character n-grams. Pure functions; no DOM.
 */

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  hellip: '…',
  copy: '©',
  reg: '®',
  trade: '™',
  deg: '°',
  times: '×',
  frac12: '½',
  eacute: 'é',
  egrave: 'è',
  agrave: 'à',
  aacute: 'á',
  ouml: 'ö',
  uuml: 'ü',
  auml: 'ä',
  ccedil: 'ç',
  ntilde: 'ñ',
  pound: '£',
  euro: '€',
};

/** Decodes named (common) and numeric (`&#39;`, `&#x27;`) HTML entities; unknown ones stay as they are. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);/g, (m, body: string) => {
    if (body[0] === '#') {
      const code =
        body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return NAMED_ENTITIES[body] ?? NAMED_ENTITIES[body.toLowerCase()] ?? m;
  });
}

/** Entities decoded, lower-cased, accents stripped (NFD, combining marks removed). */
export function foldText(s: string): string {
  const lower = decodeEntities(s).toLowerCase();
  // Pure ASCII has nothing to decompose (NFD of ASCII is itself): skip the costly normalize().
  if (!NON_ASCII.test(lower)) return lower;
  return lower.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

const NON_ASCII = /[\u0080-\uffff]/;

export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be but by for from has have in into is it its of on or our so that the their this ' +
    'to was were will with your you x'
  ).split(' '),
);

const NO_STEM = new Set([
  'news',
  'series',
  'species',
  'glasses',
  'chess',
  'bus',
  'gas',
  'lens',
  'plus',
  'this',
]);

/** Light plural stemming: batteries→battery, boxes→box, cats→cat; keeps `ss`, `us`, `is` and short words. */
export function stem(w: string): string {
  const n = w.length;
  if (n <= 3 || w.charCodeAt(n - 1) !== 115 /* s */ || NO_STEM.has(w)) return w;
  if (/\d/.test(w)) return w;
  if (w.endsWith('ss') || w.endsWith('us') || w.endsWith('is')) return w;
  if (w.endsWith('ies') && n > 4) return w.slice(0, -3) + 'y';
  if (/(?:ches|shes|xes|sses|zzes)$/.test(w)) return w.slice(0, -2);
  return w.slice(0, -1);
}

export interface TokenizeOptions {
  /** Plural stemming (default true). */
  stem?: boolean;
  /** Drop stopwords (default true). */
  stopwords?: boolean;
}

/** Normalised word tokens of `s`. */
export function tokenize(s: string, opts: TokenizeOptions = {}): string[] {
  const doStem = opts.stem ?? true;
  const dropStop = opts.stopwords ?? true;
  const out: string[] = [];
  for (const raw of foldText(s).split(/[^a-z0-9]+/)) {
    if (!raw) continue;
    if (dropStop && STOPWORDS.has(raw)) continue;
    out.push(doStem ? stem(raw) : raw);
  }
  return out;
}

/**
 * Character n-grams of the normalised text: each token padded with spaces (` cat `), so n-grams
 * do not cross word boundaries; tokens shorter than n give one padded gram.
 */
export function charNgrams(tokens: readonly string[], n = 3): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    const p = ` ${t} `;
    if (p.length <= n) {
      out.push(p);
      continue;
    }
    for (let i = 0; i + n <= p.length; i++) out.push(p.slice(i, i + n));
  }
  return out;
}
