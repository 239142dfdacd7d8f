/** Tokenizer and n-gram extraction for TF-IDF text features. */
import type { TextOptions } from './types.ts';

/** A small English stopword list (articles, pronouns, auxiliaries, common prepositions). */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been being but by can could did do does for from had has have he her hers him his ' +
    'i if in into is it its me my no nor not of on or our ours she so than that the their theirs them then ' +
    'there these they this those to too us very was we were what when where which who whom why will with ' +
    'would you your yours'
  ).split(' '),
);

/**
 * Lower-cases, strips accents (NFD, combining marks removed), splits on anything that is not a letter or
 * a digit, drops 1-character tokens and stopwords.
 */
export function tokenize(text: string): string[] {
  const norm = text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  const out: string[] = [];
  for (const tok of norm.split(/[^\p{L}\p{N}]+/u)) {
    if (tok.length < 2 || (tok.length === 2 && [...tok].length < 2)) continue;
    if (STOPWORDS.has(tok)) continue;
    out.push(tok);
  }
  return out;
}

/** Vocabulary keys of one document, with repetitions: `w:` word n-grams, `c:` char n-grams. */
export function termsOf(tokens: readonly string[], opts: TextOptions): string[] {
  const out: string[] = [];
  const [w0, w1] = opts.wordNgrams;
  for (let n = Math.max(1, w0); n <= w1; n++) {
    for (let i = 0; i + n <= tokens.length; i++)
      out.push(`w:${n === 1 ? tokens[i] : tokens.slice(i, i + n).join(' ')}`);
  }
  if (opts.charNgrams) {
    const [c0, c1] = opts.charNgrams;
    for (const tok of tokens) {
      const chars = [...` ${tok} `];
      for (let n = Math.max(1, c0); n <= c1; n++) {
        for (let i = 0; i + n <= chars.length; i++) out.push(`c:${chars.slice(i, i + n).join('')}`);
      }
    }
  }
  return out;
}

/** The display term of a vocabulary key. */
export const termText = (key: string): string => key.slice(2);
