/**
 * Harness for the UI components (tests/e2e/components.test.ts drives it; also for looking at them):
 * TableView over an in-memory pager of 3,000,000 synthetic rows, a CodeEditor with a schema, and a
 * Markdown sample with hostile content. Query params: `rows` (row count), `latency` (ms per page).
 */
import { mount } from 'svelte';
import { renderMarkdown } from '../../../src/core/markdown.ts';
import CodeEditor from '../../../src/ui/components/CodeEditor.svelte';
import Markdown from '../../../src/ui/components/Markdown.svelte';
import TableView from '../../../src/ui/components/TableView.svelte';
import type { PagerColumn, Row, SortSpec, TablePager } from '../../../src/ui/components/tablePager.ts';

const params = new URLSearchParams(location.search);
const ROWS = Number(params.get('rows') ?? 3_000_000);
const LATENCY = Number(params.get('latency') ?? 25);

/** Deterministic 32-bit hash of a row index (and a salt per column). */
function hash(i: number, salt: number): number {
  let h = (i ^ Math.imul(salt, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const CATEGORIES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
const WORDS =
  'the quick brown fox jumps over a lazy dog while seventeen curious otters debate the finer points of columnar storage and vectorised execution'.split(
    ' ',
  );
const DAY = 86_400_000;
const BASE_DATE = Date.UTC(2015, 0, 1);
const BIG_BASE = 9_007_199_254_740_993n; // 2^53 + 1: not representable as a number

const columns: PagerColumn[] = [
  { name: 'id', type: 'BIGINT' },
  { name: 'score', type: 'INTEGER' },
  { name: 'amount', type: 'DOUBLE' },
  { name: 'category', type: 'VARCHAR' },
  { name: 'day', type: 'DATE' },
  { name: 'updated_at', type: 'TIMESTAMP' },
  { name: 'active', type: 'BOOLEAN' },
  { name: 'big_counter', type: 'BIGINT' },
  { name: 'description', type: 'VARCHAR' },
];

/** Value of column `col` for row i (0-based). Cheap per column, so sorting 3M rows is quick. */
function valueAt(i: number, col: number): unknown {
  const h1 = hash(i, 1);
  const h2 = hash(i, 2);
  const h3 = hash(i, 3);
  switch (col) {
    case 0:
      return i + 1;
    case 1:
      return h1 % 23 === 0 ? null : h1 % 1000;
    case 2:
      return h2 % 17 === 0 ? null : ((h2 % 2_000_000) - 400_000) / 137.3;
    case 3:
      return CATEGORIES[h3 % CATEGORIES.length];
    case 4:
      return h1 % 31 === 0 ? null : new Date(BASE_DATE + (h2 % 3650) * DAY);
    case 5:
      return new Date(BASE_DATE + (h3 % (3650 * 24 * 3600)) * 1000 + (h1 % 1000));
    case 6:
      return h2 % 11 === 0 ? null : h2 % 2 === 0;
    case 7:
      return BIG_BASE + BigInt(i) * 1_000_003n;
    default: {
      if (h3 % 13 === 0) return null;
      const words: string[] = [];
      for (let w = 0; w < 3 + (h3 % 22); w++) words.push(WORDS[hash(i, 100 + w) % WORDS.length]);
      return `Row ${i + 1}: ${words.join(' ')}.`;
    }
  }
}

/** Column values for row i (0-based), in column order. */
function rowAt(i: number): Row {
  return columns.map((_, c) => valueAt(i, c));
}

function sortKey(col: number, i: number): number {
  const v = valueAt(i, col);
  if (v === null) return Number.NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.getTime();
  return Number.NaN;
}

/** Sorted permutation of row indices, NULLS LAST (DuckDB's default for ASC and DESC). */
const orders = new Map<string, Uint32Array>();
function orderFor(s: SortSpec): Uint32Array {
  const key = `${s.column}:${s.desc}`;
  const cached = orders.get(key);
  if (cached) return cached;
  const col = columns.findIndex((c) => c.name === s.column);
  const n = ROWS;
  let order: Uint32Array;
  if (s.column === 'id' || s.column === 'big_counter') {
    order = new Uint32Array(n);
    for (let k = 0; k < n; k++) order[k] = s.desc ? n - 1 - k : k;
  } else if (s.column === 'score') {
    // Counting sort: scores are 0..999 or null.
    const buckets = Array.from({ length: 1001 }, () => [] as number[]);
    for (let i = 0; i < n; i++) {
      const v = valueAt(i, col) as number | null;
      buckets[v === null ? 1000 : s.desc ? 999 - v : v].push(i);
    }
    order = new Uint32Array(n);
    let k = 0;
    for (const b of buckets) for (const i of b) order[k++] = i;
  } else if (typeof valueAt(0, col) === 'string' || col < 0) {
    const idx = Array.from({ length: n }, (_, i) => i);
    const vals = idx.map((i) => valueAt(i, col) as string | null);
    idx.sort((a, b) => {
      const x = vals[a];
      const y = vals[b];
      if (x === null || y === null) return x === y ? a - b : x === null ? 1 : -1;
      const c = x < y ? -1 : x > y ? 1 : a - b;
      return s.desc ? -c : c;
    });
    order = Uint32Array.from(idx);
  } else {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = sortKey(col, i);
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((a, b) => {
      const x = keys[a];
      const y = keys[b];
      const xn = Number.isNaN(x);
      const yn = Number.isNaN(y);
      if (xn || yn) return xn === yn ? a - b : xn ? 1 : -1;
      return (s.desc ? y - x : x - y) || a - b;
    });
    order = idx;
  }
  orders.set(key, order);
  return order;
}

const pageCalls: { offset: number; limit: number; orderBy?: SortSpec }[] = [];

const pager: TablePager = {
  columns,
  rowCount: ROWS,
  async page(offset, limit, orderBy) {
    pageCalls.push({ offset, limit, orderBy });
    await new Promise((r) => setTimeout(r, LATENCY));
    const order = orderBy ? orderFor(orderBy) : null;
    const out: Row[] = [];
    for (let k = offset; k < Math.min(ROWS, offset + limit); k++) out.push(rowAt(order ? order[k] : k));
    return out;
  },
};

const table = mount(TableView, {
  target: document.getElementById('table')!,
  props: { source: pager, height: 380 },
});

let runs = 0;
const status = document.getElementById('editor-status')!;
const editorProps = {
  value:
    'SELECT category, avg(amount) AS mean_amount\nFROM sales\nWHERE active\nGROUP BY ALL\nORDER BY 2 DESC;',
};
const editor = mount(CodeEditor, {
  target: document.getElementById('editor')!,
  props: {
    get value() {
      return editorProps.value;
    },
    set value(v: string) {
      editorProps.value = v;
    },
    language: 'sql',
    schema: {
      sales: columns.map((c) => c.name),
      customers: ['customer_id', 'name', 'email', 'signup_date'],
    },
    placeholder: 'Write SQL — Shift+Enter to run',
    minLines: 4,
    onRun: () => {
      runs++;
      status.textContent = `runs: ${runs} · ${editorProps.value.length} chars`;
    },
    onChange: (v: string) => {
      editorProps.value = v;
      status.textContent = `runs: ${runs} · ${v.length} chars`;
    },
  },
});

const SAMPLE = `# Quarterly review

Benchtop renders **markdown cells** with _GFM_ — tables, \`inline code\`, task lists and [links](https://example.com/docs).

## Results

| Model | Accuracy | Loss |
| --- | ---: | ---: |
| Logistic regression | 0.912 | 0.241 |
| MLP (2×64) | 0.947 | 0.163 |

> Sanitising is not optional: a shared notebook is untrusted input.

- [x] load \`penguins.csv\`
- [ ] tune the learning rate

\`\`\`sql
SELECT species, count(*) FROM penguins GROUP BY ALL;
\`\`\`

![remote chart](https://evil.example/track.png) and an inline image ![dot](data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==)

<script>window.__pwned = 1</script>
<img src="x" onerror="window.__pwned = 2">
<a href="javascript:window.__pwned=3">click me</a>
`;

mount(Markdown, { target: document.getElementById('markdown')!, props: { source: SAMPLE } });

declare global {
  interface Window {
    __harness: unknown;
    __pwned?: number;
  }
}

window.__harness = {
  rows: ROWS,
  rowAt,
  pageCalls,
  get runs() {
    return runs;
  },
  get editorValue() {
    return editorProps.value;
  },
  renderMarkdown,
  scrollToRow: (i: number) => (table as unknown as { scrollToRow(i: number): void }).scrollToRow(i),
  editor,
  sample: SAMPLE,
};
