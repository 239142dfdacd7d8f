/**
 * The notebook's dependency graph: which cell feeds which.
 *
 * Cells are taken as plain data (`id`, the table names it `outputs`, the names it reads as `inputs`),
 * so this module knows nothing about cell kinds or the registry: the caller asks each kind for its
 * outputs/inputs and passes them in. A reader depends on the cell that outputs the name it reads.
 *
 * Names are matched case-insensitively, because DuckDB identifiers are (`Orders` and `orders` are the
 * same table): two cells defining them clash, and a reader of `ORDERS` depends on the cell defining
 * `orders`.
 *
 * Problems are data, not exceptions: duplicate definitions and cycles come back in `errors` with the
 * cell ids involved, so the UI can mark those cells while every unaffected cell still runs. `blocked`
 * is the set of cells that cannot run until the errors are fixed (the cells in an error and everything
 * downstream of them).
 */

/** One cell as the graph sees it. */
export interface GraphNode {
  id: string;
  /** Table names the cell defines. */
  outputs: readonly string[];
  /** Table names the cell reads. */
  inputs: readonly string[];
}

export type GraphError =
  | {
      kind: 'duplicate-output';
      /** The name as the first defining cell spells it. */
      name: string;
      /** The defining cells, in notebook order. */
      cellIds: string[];
      message: string;
    }
  | {
      kind: 'cycle';
      /** Every cell caught in the cycle(s), in notebook order. */
      cellIds: string[];
      /** One concrete loop, in data-flow order, starting and ending with the same cell. */
      path: string[];
      message: string;
    };

export interface Graph {
  /** Cell ids in notebook order. */
  readonly ids: readonly string[];
  /** 0-based notebook position of each cell. */
  readonly position: ReadonlyMap<string, number>;
  /** For each cell, the cells it reads from (direct dependencies), in notebook order. */
  readonly dependsOn: ReadonlyMap<string, readonly string[]>;
  /** For each cell, the cells that read from it (direct dependents), in notebook order. */
  readonly dependents: ReadonlyMap<string, readonly string[]>;
  /** Lower-cased output name → the cell defining it (the first one, when several do). */
  readonly producer: ReadonlyMap<string, string>;
  /**
   * For each cell with any, the input names no cell outputs. Not an error: the name may be a table
   * that exists anyway (created outside the notebook), or a column that happens to look like a name.
   */
  readonly unresolved: ReadonlyMap<string, readonly string[]>;
  readonly errors: readonly GraphError[];
  /** Cells that must not run: those in an error and everything downstream of them. */
  readonly blocked: ReadonlySet<string>;
  /** Every cell in run order (see `topoOrder`). */
  readonly order: readonly string[];
}

/** Build the graph. Throws only on a programming error (a repeated cell id); notebook problems go to `errors`. */
export function buildGraph(nodes: readonly GraphNode[]): Graph {
  const ids = nodes.map((n) => n.id);
  const position = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (position.has(n.id)) throw new Error(`Cell id "${n.id}" appears twice in the notebook`);
    position.set(n.id, i);
  });
  const label = (id: string): string => `cell ${position.get(id)! + 1} (${id})`;
  const byPosition = (a: string, b: string): number => position.get(a)! - position.get(b)!;

  // Who defines what. `definers` keeps every definer so duplicates can be reported and readers can be
  // linked to all of them (editing either must re-run the reader).
  const definers = new Map<string, string[]>();
  const spelling = new Map<string, string>();
  for (const n of nodes) {
    for (const name of new Set(n.outputs.map((o) => o.toLowerCase()))) {
      const list = definers.get(name);
      if (list) list.push(n.id);
      else {
        definers.set(name, [n.id]);
        spelling.set(name, n.outputs.find((o) => o.toLowerCase() === name)!);
      }
    }
  }

  const errors: GraphError[] = [];
  const producer = new Map<string, string>();
  for (const [name, cells] of definers) {
    producer.set(name, cells[0]!);
    if (cells.length > 1) {
      const positions = cells.map((id) => String(position.get(id)! + 1));
      const list = `${positions.slice(0, -1).join(', ')} and ${positions.at(-1)}`;
      errors.push({
        kind: 'duplicate-output',
        name: spelling.get(name)!,
        cellIds: cells,
        message: `Cells ${list} ${cells.length === 2 ? 'both' : 'all'} define "${spelling.get(name)}"`,
      });
    }
  }

  const dependsOn = new Map<string, string[]>();
  const dependents = new Map<string, string[]>(ids.map((id) => [id, []]));
  const unresolved = new Map<string, string[]>();
  for (const n of nodes) {
    const deps = new Set<string>();
    const missing: string[] = [];
    const seen = new Set<string>();
    for (const input of n.inputs) {
      const key = input.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      const cells = definers.get(key);
      if (!cells) {
        missing.push(input);
        continue;
      }
      // A cell reading a name it defines itself gets no edge. SQL reference extraction over-approximates
      // (`SELECT sum(x) AS revenue` in a cell named `revenue`), and a genuine self-read fails in DuckDB
      // with its own clear message, so a self-loop would only produce false cycle errors.
      for (const c of cells) if (c !== n.id) deps.add(c);
    }
    const sorted = [...deps].sort(byPosition);
    dependsOn.set(n.id, sorted);
    for (const d of sorted) dependents.get(d)!.push(n.id);
    if (missing.length > 0) unresolved.set(n.id, missing);
  }
  for (const list of dependents.values()) list.sort(byPosition);

  const components = stronglyConnected(ids, dependents);
  for (const comp of components) {
    if (comp.length < 2) continue;
    comp.sort(byPosition);
    const path = findLoop(comp, dependents);
    errors.push({
      kind: 'cycle',
      cellIds: comp,
      path,
      message: `Cycle: ${path.map(label).join(' → ')}`,
    });
  }

  const order = stableOrder(ids, components, dependents, position);

  const blocked = new Set<string>();
  const stack = errors.flatMap((e) => e.cellIds);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (blocked.has(id)) continue;
    blocked.add(id);
    stack.push(...dependents.get(id)!);
  }

  return { ids, position, dependsOn, dependents, producer, unresolved, errors, blocked, order };
}

/**
 * Cells in run order: every cell after the cells it reads from; ties keep notebook order, so a notebook
 * whose cells already read only from cells above them runs top to bottom. With `ids`, only those cells,
 * in the same relative order. Cells in a cycle cannot be ordered properly: they come out together, in
 * notebook order, where the cycle as a whole fits (they are `blocked` anyway).
 */
export function topoOrder(graph: Graph, ids?: Iterable<string>): string[] {
  if (ids === undefined) return [...graph.order];
  const wanted = new Set(ids);
  for (const id of wanted) checkKnown(graph, id);
  return graph.order.filter((id) => wanted.has(id));
}

/** The cell and every cell that transitively reads from it, in run order: what to re-run after editing it. */
export function downstream(graph: Graph, id: string): string[] {
  return topoOrder(graph, reach(graph, id, graph.dependents));
}

/** The cell and every cell it transitively reads from, in run order: what must run before it can. */
export function upstream(graph: Graph, id: string): string[] {
  return topoOrder(graph, reach(graph, id, graph.dependsOn));
}

/** The errors that name this cell directly (not those of cells upstream that block it). */
export function errorsFor(graph: Graph, id: string): GraphError[] {
  return graph.errors.filter((e) => e.cellIds.includes(id));
}

function checkKnown(graph: Graph, id: string): void {
  if (!graph.position.has(id)) throw new Error(`Unknown cell "${id}"`);
}

function reach(graph: Graph, id: string, edges: ReadonlyMap<string, readonly string[]>): Set<string> {
  checkKnown(graph, id);
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    if (seen.has(cur)) continue;
    seen.add(cur);
    stack.push(...edges.get(cur)!);
  }
  return seen;
}

/** Tarjan's algorithm, iterative so that a long chain of cells cannot overflow the stack. */
function stronglyConnected(
  ids: readonly string[],
  edges: ReadonlyMap<string, readonly string[]>,
): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  let counter = 0;

  for (const root of ids) {
    if (index.has(root)) continue;
    // Each frame: the node and how many of its edges have been followed.
    const frames: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter);
    counter++;
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames.at(-1)!;
      const out = edges.get(frame.id)!;
      if (frame.next < out.length) {
        const to = out[frame.next++]!;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter);
          counter++;
          stack.push(to);
          onStack.add(to);
          frames.push({ id: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(to)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames.at(-1);
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const comp: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          comp.push(member);
        } while (member !== frame.id);
        result.push(comp);
      }
    }
  }
  return result;
}

/** Shortest loop through the component's first cell (breadth-first, so the message stays short). */
function findLoop(comp: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(comp);
  const start = comp[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const cur = queue[i]!;
    for (const to of edges.get(cur)!) {
      if (!members.has(to)) continue;
      if (to === start) {
        const back: string[] = [];
        for (let c = cur; c !== start; c = cameFrom.get(c)!) back.push(c);
        return [start, ...back.reverse(), start];
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, cur);
        queue.push(to);
      }
    }
  }
  // Unreachable for a real strongly connected component of two or more cells.
  return [...comp, start];
}

/**
 * Kahn's algorithm over the components (a cycle is one unit), always taking the ready unit that comes
 * first in the notebook: the smallest change from notebook order that respects every dependency.
 */
function stableOrder(
  ids: readonly string[],
  components: readonly string[][],
  dependents: ReadonlyMap<string, readonly string[]>,
  position: ReadonlyMap<string, number>,
): string[] {
  const compOf = new Map<string, number>();
  components.forEach((comp, i) => {
    for (const id of comp) compOf.set(id, i);
  });
  const first = components.map((comp) => Math.min(...comp.map((id) => position.get(id)!)));
  const indegree = components.map(() => 0);
  const succ = components.map(() => new Set<number>());
  for (const id of ids) {
    const from = compOf.get(id)!;
    for (const d of dependents.get(id)!) {
      const to = compOf.get(d)!;
      if (to !== from && !succ[from]!.has(to)) {
        succ[from]!.add(to);
        indegree[to]!++;
      }
    }
  }
  // `ready` is kept sorted by notebook position, descending, so the next one to take is at the end.
  const ready = components.map((_, i) => i).filter((i) => indegree[i] === 0);
  ready.sort((a, b) => first[b]! - first[a]!);
  const order: string[] = [];
  while (ready.length > 0) {
    const c = ready.pop()!;
    const members = [...components[c]!].sort((a, b) => position.get(a)! - position.get(b)!);
    order.push(...members);
    for (const to of succ[c]!) {
      if (--indegree[to]! === 0) {
        let lo = 0;
        let hi = ready.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (first[ready[mid]!]! > first[to]!) lo = mid + 1;
          else hi = mid;
        }
        ready.splice(lo, 0, to);
      }
    }
  }
  return order;
}
