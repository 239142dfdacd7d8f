/**
 * The one place cell kinds are registered. The notebook core, the runtime and the headless runner
 * look kinds up here; later features (profile, chart, train, evaluate, explain, predict, deploy) add
 * a kind by calling `registerCellKind` from src/cells/index.ts — no change to the core.
 */
import type { CellKindDef } from './types.ts';

const kinds = new Map<string, CellKindDef>();

export function registerCellKind<C extends Record<string, unknown>>(def: CellKindDef<C>): void {
  if (kinds.has(def.kind)) throw new Error(`Cell kind "${def.kind}" is registered twice`);
  kinds.set(def.kind, def as unknown as CellKindDef);
}

/** The kind's definition; throws a specific error for a notebook that names an unknown kind. */
export function cellKind(kind: string): CellKindDef {
  const def = kinds.get(kind);
  if (!def) {
    throw new Error(`Unknown cell kind "${kind}" (known: ${[...kinds.keys()].join(', ') || 'none'})`);
  }
  return def;
}

export function hasCellKind(kind: string): boolean {
  return kinds.has(kind);
}

export function cellKinds(): CellKindDef[] {
  return [...kinds.values()];
}
