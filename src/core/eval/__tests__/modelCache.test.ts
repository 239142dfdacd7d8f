/** ModelCache: hits do not reload, least recently used is evicted and disposed, failed loads are not kept. */
import { describe, expect, it } from 'vitest';
import { ModelCache } from '../modelCache.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ModelCache', () => {
  it('loads once per key, evicts the least recently used beyond capacity and disposes it', async () => {
    const disposed: string[] = [];
    const cache = new ModelCache<{ id: string }>(2, (m) => disposed.push(m.id));
    const load = (id: string) => async () => ({ id });
    const a = await cache.get('a', load('a'));
    expect(await cache.get('a', load('a-again'))).toBe(a);
    await cache.get('b', load('b'));
    expect(cache.loads).toBe(2);
    await cache.get('a', load('a-again')); // a is now the most recent
    await cache.get('c', load('c')); // evicts b
    await tick();
    expect(disposed).toEqual(['b']);
    expect(cache.has('a') && cache.has('c') && !cache.has('b')).toBe(true);
    expect(cache.size).toBe(2);
    expect(cache.loads).toBe(3);
    cache.clear();
    await tick();
    expect(disposed.sort()).toEqual(['a', 'b', 'c']);
    expect(cache.size).toBe(0);
  });

  it('a failed load is not cached: the next call loads again', async () => {
    const cache = new ModelCache<number>(2, () => undefined);
    await expect(cache.get('k', () => Promise.reject(new Error('bad artifact')))).rejects.toThrow(
      'bad artifact',
    );
    await tick();
    expect(cache.has('k')).toBe(false);
    expect(await cache.get('k', async () => 7)).toBe(7);
    expect(cache.loads).toBe(2);
  });

  it('rejects a capacity below one', () => {
    expect(() => new ModelCache(0, () => undefined)).toThrow(/capacity must be a positive integer, got 0/);
  });
});
