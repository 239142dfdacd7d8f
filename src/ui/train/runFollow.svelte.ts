/**
 * Shared by the cells that use a trained model (evaluate, predict): the notebook's stored runs
 * (refreshed whenever a training stores one), the "latest run of train cell X" choice, and re-running
 * the cell when that train cell stores a newer run. Call it while a component initialises: it
 * creates effects.
 */
import type { CellDoc } from '../../core/notebook/types.ts';
import { notebook } from '../../state/notebook.svelte.ts';
import { training } from '../../state/training.svelte.ts';
import { listRuns, type RunRecord } from '../../storage/runStore.ts';

/** The part of a cell's config that says which run it uses. */
export interface RunChoice {
  /** A run id, or `latest` to follow the newest run (of `trainCell`, or of any train cell). */
  runId: string;
  trainCell?: string;
  /** The run's input table, recorded when chosen, so the cell depends on it in the graph. */
  input?: string;
}

export interface RunFollower {
  readonly runs: RunRecord[];
  readonly trainCells: CellDoc[];
  /** The picker's value: a run id, or `latest:<train cell id>`. */
  readonly choice: string;
  choose(value: string): void;
  trainTitle(id: string): string;
}

export function runLabel(r: RunRecord): string {
  const when = new Date(r.createdAt).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' });
  return `${r.name} · ${r.config.family} · ${when}`;
}

export function followRuns(o: {
  cellId: () => string;
  config: () => RunChoice;
  save: (patch: Partial<RunChoice>, runNow: boolean) => void;
  /** Run id of the cell's last successful result, if any. */
  shownRunId: () => unknown;
  busy: () => boolean;
}): RunFollower {
  let runs = $state<RunRecord[]>([]);
  const trainCells = $derived(notebook.doc.cells.filter((c) => c.kind === 'train'));

  $effect(() => {
    void training.runsVersion;
    const id = notebook.doc.id;
    let stale = false;
    listRuns(id).then(
      (r) => {
        if (!stale) runs = r;
      },
      () => undefined,
    );
    return () => {
      stale = true;
    };
  });

  function choose(value: string): void {
    if (value.startsWith('latest:')) {
      const trainCell = value.slice(7) || undefined;
      const newest = runs.find((r) => !trainCell || r.cellId === trainCell);
      const fromCell = (trainCells.find((c) => c.id === trainCell)?.config as { input?: string } | undefined)
        ?.input;
      o.save({ runId: 'latest', trainCell, input: newest?.config.input ?? (fromCell || undefined) }, true);
    } else {
      const r = runs.find((x) => x.id === value);
      if (r) o.save({ runId: r.id, trainCell: undefined, input: r.config.input }, true);
    }
  }

  // Default: follow the latest run of the last train cell.
  $effect(() => {
    const c = o.config();
    if (c.runId === 'latest' && !c.trainCell && !c.input && trainCells.length > 0 && runs.length > 0) {
      choose(`latest:${trainCells[trainCells.length - 1].id}`);
    }
  });
  // Following the latest run: re-run when a newer run of that train cell is stored.
  $effect(() => {
    const c = o.config();
    const shown = o.shownRunId();
    if (c.runId !== 'latest' || o.busy() || shown === undefined) return;
    const newest = runs.find((r) => !c.trainCell || r.cellId === c.trainCell);
    if (newest && newest.id !== shown) void notebook.runCell(o.cellId());
  });

  return {
    get runs() {
      return runs;
    },
    get trainCells() {
      return trainCells;
    },
    get choice() {
      const c = o.config();
      return c.runId === 'latest' ? `latest:${c.trainCell ?? ''}` : c.runId;
    },
    choose,
    trainTitle(id: string) {
      const c = trainCells.find((t) => t.id === id);
      const conf = (c?.config ?? {}) as { name?: string; family?: string; target?: string };
      const i = notebook.doc.cells.findIndex((x) => x.id === id);
      return `${conf.name || `${conf.family ?? 'model'} · ${conf.target ?? ''}`} (cell ${i + 1})`;
    },
  };
}
