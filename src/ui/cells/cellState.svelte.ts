/**
 * What the cell views derive from their props in the same way: the config as the kind parses it, or
 * the kind's defaults where it does not parse (a hand-edited or newer notebook must still open, showing
 * its error on run rather than breaking the view); whether a run is under way; the meta of the last
 * successful run; and saving a patch of the config. Call it while a component initialises: it creates
 * deriveds.
 */
import type { CellRunState } from '../../automation.ts';
import type { CellDoc } from '../../core/notebook/types.ts';
import { notebook } from '../../state/notebook.svelte.ts';

/** The part of a cell kind (`CellKindDef`) a view needs to read its config. */
export interface ConfigKind<C> {
  /** Throws on a config it cannot read. */
  parse(config: unknown): C;
  create(names: ReadonlySet<string>): C;
}

export interface CellState<C> {
  readonly config: C;
  /** Running or queued: what is shown comes from the previous run. */
  readonly busy: boolean;
  /** `result.meta` of the last run, when it succeeded. */
  readonly meta: Record<string, unknown> | undefined;
  /**
   * The stored config with `patch` over it and the keys set to undefined removed, as a plain object
   * (a `$state` proxy must not reach storage or a worker).
   */
  merge(patch: object): Record<string, unknown>;
  /** `merge`, store it, and run the cell when asked. */
  save(patch: Partial<C>, opts: { run: boolean }): void;
}

export function cellState<C>(
  cell: () => CellDoc,
  run: () => CellRunState | undefined,
  kind: ConfigKind<C>,
): CellState<C> {
  const config = $derived.by(() => {
    try {
      return kind.parse($state.snapshot(cell().config));
    } catch {
      return kind.create(new Set());
    }
  });
  const busy = $derived(run()?.status === 'running' || run()?.status === 'queued');
  const meta = $derived.by(() => {
    const r = run();
    return r?.status === 'ok' ? (r.result?.meta as Record<string, unknown> | undefined) : undefined;
  });

  function merge(patch: object): Record<string, unknown> {
    const next: Record<string, unknown> = { ...$state.snapshot(cell().config), ...patch };
    for (const [k, v] of Object.entries(next)) if (v === undefined) delete next[k];
    return next;
  }

  return {
    get config() {
      return config;
    },
    get busy() {
      return busy;
    },
    get meta() {
      return meta;
    },
    merge,
    save(patch, opts) {
      notebook.updateConfig(cell().id, merge(patch), opts);
    },
  };
}
