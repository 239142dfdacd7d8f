import { describe, expect, it } from 'vitest';
import { buildGraph, downstream, errorsFor, type GraphNode, topoOrder, upstream } from '../graph.ts';

const node = (id: string, outputs: string[] = [], inputs: string[] = []): GraphNode => ({
  id,
  outputs,
  inputs,
});

/** A typical notebook: markdown, two sources, a join, a summary, a table view. */
const typical = (): GraphNode[] => [
  node('md'),
  node('src1', ['orders']),
  node('src2', ['customers']),
  node('join', ['joined'], ['orders', 'customers']),
  node('summary', ['by_state'], ['joined']),
  node('view', [], ['by_state']),
];

describe('buildGraph', () => {
  it('links each reader to the cell that outputs the name it reads', () => {
    const g = buildGraph(typical());
    expect(g.ids).toEqual(['md', 'src1', 'src2', 'join', 'summary', 'view']);
    expect(g.dependsOn.get('join')).toEqual(['src1', 'src2']);
    expect(g.dependsOn.get('summary')).toEqual(['join']);
    expect(g.dependsOn.get('view')).toEqual(['summary']);
    expect(g.dependsOn.get('md')).toEqual([]);
    expect(g.dependents.get('src1')).toEqual(['join']);
    expect(g.dependents.get('src2')).toEqual(['join']);
    expect(g.dependents.get('join')).toEqual(['summary']);
    expect(g.dependents.get('view')).toEqual([]);
    expect(g.producer.get('orders')).toBe('src1');
    expect(g.errors).toEqual([]);
    expect(g.blocked.size).toBe(0);
    expect(g.unresolved.size).toBe(0);
    expect(g.position.get('summary')).toBe(4);
  });

  it('lists dependencies in notebook order whatever order the inputs were read in', () => {
    const g = buildGraph([node('a', ['x']), node('b', ['y']), node('c', [], ['y', 'x'])]);
    expect(g.dependsOn.get('c')).toEqual(['a', 'b']);
  });

  it('reports names no cell outputs as unresolved, without an error', () => {
    const g = buildGraph([node('a', ['x']), node('b', ['y'], ['x', 'external_table', 'other'])]);
    expect(g.unresolved.get('b')).toEqual(['external_table', 'other']);
    expect(g.unresolved.has('a')).toBe(false);
    expect(g.dependsOn.get('b')).toEqual(['a']);
    expect(g.errors).toEqual([]);
    expect(g.blocked.size).toBe(0);
  });

  it('matches names case-insensitively, as DuckDB does', () => {
    const g = buildGraph([node('a', ['Orders']), node('b', [], ['ORDERS'])]);
    expect(g.dependsOn.get('b')).toEqual(['a']);
    expect(g.producer.get('orders')).toBe('a');
    expect(g.unresolved.size).toBe(0);
  });

  it('ignores repeated inputs and outputs within one cell', () => {
    const g = buildGraph([node('a', ['x', 'x', 'X']), node('b', [], ['x', 'X', 'x'])]);
    expect(g.errors).toEqual([]);
    expect(g.dependsOn.get('b')).toEqual(['a']);
    expect(g.dependents.get('a')).toEqual(['b']);
  });

  it('ignores a cell reading its own output (no self-cycle from over-approximated SQL refs)', () => {
    const g = buildGraph([node('src', ['orders']), node('rev', ['revenue'], ['orders', 'revenue'])]);
    expect(g.errors).toEqual([]);
    expect(g.dependsOn.get('rev')).toEqual(['src']);
    expect(g.unresolved.size).toBe(0);
  });

  it('throws on a repeated cell id (a programming error, not a notebook problem)', () => {
    expect(() => buildGraph([node('a'), node('a')])).toThrow('Cell id "a" appears twice in the notebook');
  });

  it('handles an empty notebook', () => {
    const g = buildGraph([]);
    expect(g.order).toEqual([]);
    expect(g.errors).toEqual([]);
    expect(topoOrder(g)).toEqual([]);
  });
});

describe('duplicate outputs', () => {
  it('reports two cells defining the same name with 1-based positions and ids', () => {
    const g = buildGraph([
      node('m'),
      node('p'),
      node('s1', ['orders']),
      node('q'),
      node('s2', ['orders']),
      node('r', ['r'], ['orders']),
      node('free', ['free'], []),
    ]);
    expect(g.errors).toEqual([
      {
        kind: 'duplicate-output',
        name: 'orders',
        cellIds: ['s1', 's2'],
        message: 'Cells 3 and 5 both define "orders"',
      },
    ]);
    // The reader depends on both definers: editing either must re-run it.
    expect(g.dependsOn.get('r')).toEqual(['s1', 's2']);
    expect([...g.blocked].sort()).toEqual(['r', 's1', 's2']);
    // The rest of the notebook is unaffected.
    expect(g.blocked.has('free')).toBe(false);
    expect(g.blocked.has('m')).toBe(false);
    expect(errorsFor(g, 's2')).toHaveLength(1);
    expect(errorsFor(g, 'r')).toEqual([]);
  });

  it('words three or more definers as a list and keeps the first spelling', () => {
    const g = buildGraph([node('a', ['Sales']), node('b', ['sales']), node('c', ['SALES'])]);
    expect(g.errors).toHaveLength(1);
    expect(g.errors[0]!.message).toBe('Cells 1, 2 and 3 all define "Sales"');
    expect(g.errors[0]!.cellIds).toEqual(['a', 'b', 'c']);
  });
});

describe('cycles', () => {
  it('reports a two-cell cycle in data-flow order, from the first cell in the notebook', () => {
    const g = buildGraph([
      node('src', ['raw']),
      node('q1', ['a'], ['b', 'raw']),
      node('x', ['x'], ['raw']),
      node('q2', ['b'], ['a']),
      node('after', [], ['b']),
    ]);
    expect(g.errors).toEqual([
      {
        kind: 'cycle',
        cellIds: ['q1', 'q2'],
        path: ['q1', 'q2', 'q1'],
        message: 'Cycle: cell 2 (q1) → cell 4 (q2) → cell 2 (q1)',
      },
    ]);
    expect([...g.blocked].sort()).toEqual(['after', 'q1', 'q2']);
    expect(g.blocked.has('src')).toBe(false);
    expect(g.blocked.has('x')).toBe(false);
    // Every cell still gets a place in the order: the cycle is placed as one unit (at its first cell's
    // position), after its inputs and before its readers.
    expect(g.order).toEqual(['src', 'q1', 'q2', 'x', 'after']);
  });

  it('reports a three-cell cycle following the data flow', () => {
    // c reads a, a reads b, b reads c: data flows a → c → b → a.
    const g = buildGraph([node('a', ['ta'], ['tb']), node('b', ['tb'], ['tc']), node('c', ['tc'], ['ta'])]);
    expect(g.errors).toHaveLength(1);
    const err = g.errors[0]!;
    expect(err.kind).toBe('cycle');
    expect(err.cellIds).toEqual(['a', 'b', 'c']);
    expect(err.kind === 'cycle' && err.path).toEqual(['a', 'c', 'b', 'a']);
    expect(err.message).toBe('Cycle: cell 1 (a) → cell 3 (c) → cell 2 (b) → cell 1 (a)');
  });

  it('reports separate cycles separately and picks the shortest loop in a tangled one', () => {
    const g = buildGraph([
      node('a', ['ta'], ['tb', 'tc']),
      node('b', ['tb'], ['ta']),
      node('c', ['tc'], ['tb']),
      node('d', ['td'], ['te']),
      node('e', ['te'], ['td']),
    ]);
    const cycles = g.errors.filter((e) => e.kind === 'cycle');
    expect(cycles.map((e) => e.cellIds)).toEqual(
      expect.arrayContaining([
        ['a', 'b', 'c'],
        ['d', 'e'],
      ]),
    );
    expect(cycles).toHaveLength(2);
    const abc = cycles.find((e) => e.cellIds.includes('a'))!;
    expect(abc.kind === 'cycle' && abc.path).toEqual(['a', 'b', 'a']);
    expect(g.blocked.size).toBe(5);
  });

  it('reports both a duplicate and a cycle when both exist', () => {
    const g = buildGraph([node('a', ['t'], ['u']), node('b', ['u'], ['t']), node('c', ['t'])]);
    expect(g.errors.map((e) => e.kind).sort()).toEqual(['cycle', 'duplicate-output']);
    expect(
      errorsFor(g, 'a')
        .map((e) => e.kind)
        .sort(),
    ).toEqual(['cycle', 'duplicate-output']);
    expect(errorsFor(g, 'c').map((e) => e.kind)).toEqual(['duplicate-output']);
  });
});

describe('topoOrder', () => {
  it('keeps notebook order when every cell reads only from cells above it', () => {
    const g = buildGraph(typical());
    expect(topoOrder(g)).toEqual(['md', 'src1', 'src2', 'join', 'summary', 'view']);
  });

  it('moves a reader after the cell it reads, and nothing else', () => {
    // The view is written above its source.
    const g = buildGraph([
      node('md'),
      node('view', [], ['t']),
      node('other'),
      node('src', ['t']),
      node('tail'),
    ]);
    expect(topoOrder(g)).toEqual(['md', 'other', 'src', 'view', 'tail']);
  });

  it('restricts to the given ids, in run order, regardless of the order they were given in', () => {
    const g = buildGraph(typical());
    expect(topoOrder(g, ['view', 'src1', 'join'])).toEqual(['src1', 'join', 'view']);
    expect(topoOrder(g, new Set(['summary']))).toEqual(['summary']);
    expect(topoOrder(g, [])).toEqual([]);
  });

  it('throws on an unknown id', () => {
    const g = buildGraph(typical());
    expect(() => topoOrder(g, ['nope'])).toThrow('Unknown cell "nope"');
  });

  it('returns a copy that callers may mutate', () => {
    const g = buildGraph(typical());
    const order = topoOrder(g);
    order.reverse();
    expect(topoOrder(g)[0]).toBe('md');
  });

  it('orders a long chain written bottom-up, without recursion limits', () => {
    const n = 5000;
    const nodes: GraphNode[] = [];
    // Cell i reads t{i+1}; the last cell is the source. Run order is therefore the reverse.
    for (let i = 0; i < n; i++) nodes.push(node(`c${i}`, [`t${i}`], i + 1 < n ? [`t${i + 1}`] : []));
    const g = buildGraph(nodes);
    expect(g.errors).toEqual([]);
    const order = topoOrder(g);
    expect(order[0]).toBe(`c${n - 1}`);
    expect(order.at(-1)).toBe('c0');
    expect(order).toEqual(nodes.map((x) => x.id).reverse());
  });

  it('respects every edge in a random DAG and is stable', () => {
    // Deterministic pseudo-random DAG: edges only from lower to higher "rank", cells shuffled.
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const n = 120;
    const ranks = Array.from({ length: n }, (_, i) => i);
    const nodes = ranks.map((r) => {
      const inputs: string[] = [];
      for (let k = 0; k < 3; k++) if (r > 0 && rand() < 0.6) inputs.push(`t${Math.floor(rand() * r)}`);
      return node(`n${r}`, [`t${r}`], inputs);
    });
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
    }
    const g = buildGraph(nodes);
    expect(g.errors).toEqual([]);
    const order = topoOrder(g);
    expect(order).toHaveLength(n);
    expect(new Set(order).size).toBe(n);
    const at = new Map(order.map((id, i) => [id, i]));
    for (const [id, deps] of g.dependsOn) for (const d of deps) expect(at.get(d)!).toBeLessThan(at.get(id)!);
    // Stability: each cell comes as early as allowed in notebook order, i.e. the order is the
    // lexicographically smallest valid one. Check it greedily.
    const placed = new Set<string>();
    for (const id of order) {
      const ready = g.ids.filter((c) => !placed.has(c) && g.dependsOn.get(c)!.every((d) => placed.has(d)));
      expect(id).toBe(ready[0]);
      placed.add(id);
    }
  });
});

describe('downstream / upstream', () => {
  it('downstream is the cell and exactly its transitive dependents, in run order', () => {
    const g = buildGraph(typical());
    expect(downstream(g, 'src1')).toEqual(['src1', 'join', 'summary', 'view']);
    expect(downstream(g, 'src2')).toEqual(['src2', 'join', 'summary', 'view']);
    expect(downstream(g, 'summary')).toEqual(['summary', 'view']);
    expect(downstream(g, 'view')).toEqual(['view']);
    expect(downstream(g, 'md')).toEqual(['md']);
  });

  it('downstream does not include siblings that share an input', () => {
    const g = buildGraph([
      node('src', ['t']),
      node('a', ['a'], ['t']),
      node('b', ['b'], ['t']),
      node('a2', [], ['a']),
      node('b2', [], ['b']),
    ]);
    expect(downstream(g, 'a')).toEqual(['a', 'a2']);
    expect(downstream(g, 'src')).toEqual(['src', 'a', 'b', 'a2', 'b2']);
  });

  it('downstream follows run order, not notebook order, and visits a diamond once', () => {
    const g = buildGraph([
      node('end', [], ['l', 'r']),
      node('l', ['l'], ['top']),
      node('top', ['top']),
      node('r', ['r'], ['top']),
    ]);
    expect(downstream(g, 'top')).toEqual(['top', 'l', 'r', 'end']);
  });

  it('upstream is the cell and everything it needs, in run order', () => {
    const g = buildGraph(typical());
    expect(upstream(g, 'view')).toEqual(['src1', 'src2', 'join', 'summary', 'view']);
    expect(upstream(g, 'join')).toEqual(['src1', 'src2', 'join']);
    expect(upstream(g, 'src1')).toEqual(['src1']);
    expect(upstream(g, 'md')).toEqual(['md']);
  });

  it('includes cycle members and terminates', () => {
    const g = buildGraph([node('a', ['ta'], ['tb']), node('b', ['tb'], ['ta']), node('c', [], ['tb'])]);
    expect(downstream(g, 'a')).toEqual(['a', 'b', 'c']);
    expect(upstream(g, 'c')).toEqual(['a', 'b', 'c']);
  });

  it('throws on an unknown id', () => {
    const g = buildGraph(typical());
    expect(() => downstream(g, 'zzz')).toThrow('Unknown cell "zzz"');
    expect(() => upstream(g, 'zzz')).toThrow('Unknown cell "zzz"');
  });
});
