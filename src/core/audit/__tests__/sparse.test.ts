/**
 * The typed-array building blocks against their plain counterparts: integer-coded 3-grams against
 * `charNgrams` strings, `topKTyped` against `topK` (ties included), `FlatDocs` against `buildPostings`.
 */
import { describe, expect, it } from 'vitest';
import { charNgrams } from '../normalize.ts';
import {
  buildPostings,
  FlatDocs,
  forEachGram,
  GramVocab,
  gramAt,
  type TermCounts,
  topK,
  topKTyped,
} from '../sparse.ts';
import { rng } from './taxonomyData.ts';

const ALPHABET = ' abcdefghijklmnopqrstuvwxyz0123456789';

describe('audit sparse blocks', () => {
  it('forEachGram gives the grams of charNgrams, in order, with codes for the tokenizer alphabet', () => {
    const r = rng(3);
    const tokens = ['', 'a', 'é', 'ab', 'x-ray', 'crème', '42', 'z9z'];
    for (let i = 0; i < 300; i++) {
      const len = 1 + Math.floor(r() * 9);
      let t = '';
      for (let j = 0; j < len; j++) t += r() < 0.05 ? 'ü' : ALPHABET[1 + Math.floor(r() * 36)];
      tokens.push(t);
    }
    const want = charNgrams(tokens, 3);
    const got: string[] = [];
    const vocab = new GramVocab();
    forEachGram(tokens, (code, tok, start) => {
      const g = gramAt(tok, start);
      got.push(g);
      // A code exactly when every character is in the alphabet; it names the same gram as the string.
      expect(code >= 0).toBe(g.length === 3 && [...g].every((ch) => ALPHABET.includes(ch)));
      const id = code >= 0 ? vocab.idOfCode(code, true) : vocab.id(g, true);
      expect(vocab.id(g, false)).toBe(id);
      expect(vocab.terms[id]).toBe(g);
    });
    expect(got).toEqual(want);
    const back = GramVocab.fromTerms([...vocab.terms]);
    for (const g of want) expect(back.id(g, false)).toBe(vocab.id(g, false));
    expect(back.id('qqq', false)).toBe(-1);
  });

  it('topKTyped selects and orders like topK, ties included', () => {
    const r = rng(5);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(r() * 400);
      // Few distinct values, so that ties are common.
      const scores = Float32Array.from({ length: n }, () => Math.floor(r() * 12) / 4);
      const ids = Int32Array.from({ length: n }, (_, i) => i).sort(() => r() - 0.5);
      const k = 1 + Math.floor(r() * 60);
      const exclude = r() < 0.5 ? ids[0] : -1;
      const want = topK(
        ids,
        n,
        (i) => scores[i],
        k,
        (i) => i === exclude,
      );
      const oi = new Int32Array(k);
      const os = new Float64Array(k);
      const m = topKTyped(ids, n, scores, k, exclude, oi, os);
      expect(Array.from(oi.subarray(0, m))).toEqual(want.ids);
      expect(Array.from(os.subarray(0, m))).toEqual(want.scores);
    }
  });

  it('FlatDocs builds the postings buildPostings builds, repeated terms summed', () => {
    const r = rng(9);
    const docs: Array<Array<[number, number]>> = Array.from({ length: 200 }, () =>
      Array.from({ length: Math.floor(r() * 12) }, () => [Math.floor(r() * 3000), r() < 0.5 ? 1 : 0.5]),
    );
    const flat = new FlatDocs(docs.length);
    const lists: TermCounts[] = [];
    for (const d of docs) {
      const m = new Map<number, number>();
      for (const [t, c] of d) {
        flat.add(t, c);
        m.set(t, (m.get(t) ?? 0) + c);
      }
      flat.endDoc();
      lists.push({ ids: Int32Array.from(m.keys()), counts: Float32Array.from(m.values()) });
    }
    expect(flat.postings(3000)).toEqual(buildPostings(3000, lists));
  });
});
