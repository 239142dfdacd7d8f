/**
 * A small least-recently-used cache of loaded models, for the predict panel's explainer worker: an MLP
 * explanation used to load the TF.js model from its artifact on every edit of the form, which costs
 * more than some explanations themselves. Keyed by the artifact's content hash, so an edited or
 * replaced model is a new key; at most `capacity` models stay loaded (TF.js weights live in the
 * backend's memory), and an evicted or replaced one is disposed. A failed load is not kept.
 */
export class ModelCache<M> {
  private readonly entries = new Map<string, Promise<M>>();
  /** How many loads ran (a hit does not load): what tests and the bench observe. */
  loads = 0;

  constructor(
    private readonly capacity: number,
    private readonly dispose: (m: M) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`ModelCache: capacity must be a positive integer, got ${capacity}`);
  }

  /** The model for `key`, loading it with `load` on a miss. */
  get(key: string, load: () => Promise<M>): Promise<M> {
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    this.loads++;
    const p = load();
    this.entries.set(key, p);
    p.catch(() => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    });
    while (this.entries.size > this.capacity) {
      const [oldKey, old] = this.entries.entries().next().value as [string, Promise<M>];
      this.entries.delete(oldKey);
      old.then(this.dispose, () => undefined);
    }
    return p;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Dispose every cached model. */
  clear(): void {
    for (const p of this.entries.values()) p.then(this.dispose, () => undefined);
    this.entries.clear();
  }
}
