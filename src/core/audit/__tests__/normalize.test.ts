import { describe, expect, it } from 'vitest';
import { rng } from './taxonomyData.ts';
import { charNgrams, decodeEntities, foldText, stem, tokenize } from '../normalize.ts';

describe('normalize', () => {
  it('decodes named and numeric entities', () => {
    expect(decodeEntities('Cushions &amp; Covers')).toBe('Cushions & Covers');
    expect(decodeEntities('Rock &#39;n&#x27; Roll &quot;x&quot; &lt;a&gt;')).toBe(`Rock 'n' Roll "x" <a>`);
    expect(decodeEntities('&unknown; &amp')).toBe('&unknown; &amp');
  });
  it('folds case and accents', () => {
    expect(foldText('Crème BRÛLÉE Café')).toBe('creme brulee cafe');
    expect(tokenize('Pokémon &amp; NAÏVE')).toEqual(['pokemon', 'naive']);
  });
  it('stems English plurals lightly', () => {
    expect(stem('cats')).toBe('cat');
    expect(stem('boxes')).toBe('box');
    expect(stem('batteries')).toBe('battery');
    expect(stem('glass')).toBe('glass');
    expect(stem('bus')).toBe('bus');
    expect(stem('gas')).toBe('gas');
    expect(stem('its')).toBe('its');
    expect(stem('watches')).toBe('watch');
    expect(stem('cars')).toBe('car');
  });
  it('tokenizes on non-alphanumerics and drops stopwords', () => {
    expect(tokenize('Toys & Games > Dolls, for the Kids!')).toEqual(['toy', 'game', 'doll', 'kid']);
    expect(tokenize('The Cats', { stem: false, stopwords: false })).toEqual(['the', 'cats']);
  });
  it('folds ASCII text (its fast path) exactly as the full decompose-and-strip does', () => {
    const full = (s: string): string =>
      decodeEntities(s)
        .toLowerCase()
        .normalize('NFD')
        .replace(/[\u0300-\u036f]/g, '');
    const r = rng(2);
    const chars = 'aZ09 &;#x-éÉüñçß\u0301ﬁ'.split('');
    const samples = ['', 'Plain ASCII Title 42', 'Caf&eacute; &amp; Cr&#232;me', 'e\u0301', 'ﬁsh'];
    for (let i = 0; i < 500; i++)
      samples.push(Array.from({ length: 12 }, () => chars[Math.floor(r() * chars.length)]).join(''));
    for (const s of samples) expect(foldText(s)).toBe(full(s));
  });
  it('makes padded character n-grams', () => {
    expect(charNgrams(['cat'], 3)).toEqual([' ca', 'cat', 'at ']);
    expect(charNgrams(['a'], 3)).toEqual([' a ']);
  });
});
