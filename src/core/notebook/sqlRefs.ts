/**
 * Which notebook tables a SQL string reads — the `inputs` of a SQL cell.
 *
 * This is not a SQL parser. It tokenizes properly (strings, comments, quoted identifiers), so a name
 * inside a string literal or a comment never counts, and then applies a few positional rules. Given the
 * set of `known` names (every output in the notebook), it returns those that appear as identifiers.
 *
 * Matching is case-insensitive for quoted identifiers too: DuckDB treats `"Orders"`, `orders` and
 * `ORDERS` as the same table (unlike PostgreSQL).
 *
 * Counted:
 * - a bare identifier equal to a known name: `FROM orders`, `JOIN "Orders"`, `orders.id` (the qualifier
 *   before a dot is a table or an alias);
 * - a schema-qualified name: `main.orders`, `memory.orders`, `memory.main.orders`.
 *
 * Not counted:
 * - anything after a dot with another prefix: `t.orders` is a column (or struct field) of `t`;
 * - a name right after `AS` (an alias being defined: `SELECT x AS orders`, `FROM t AS orders`);
 * - a name followed by `(` (a function call, or the column list of `INSERT INTO orders (…)`);
 * - a CTE defined in the same statement, where it is visible: `WITH orders AS (…) SELECT * FROM orders`
 *   does not read the `orders` table — but the CTE's own body does, unless it is `WITH RECURSIVE`
 *   (DuckDB resolves a non-recursive CTE's own name in its body to the outer table).
 *
 * Over-approximation, by design: a bare identifier that merely equals a known name — a column called
 * like a table, an alias given without `AS` and then used, a named argument — counts as a read. That
 * adds a needless edge to the graph (a cell re-runs when it did not have to), which is harmless; missing
 * a real read would leave stale results, which is not. Under-approximation, unavoidable: names built at
 * run time (`query_table('orders')`, table names inside string literals) are not seen.
 */

type Token =
  | { type: 'ident'; value: string; quoted: boolean }
  | { type: 'punct'; value: '(' | ')' | ',' | ';' | '.' }
  | { type: 'literal' }
  | { type: 'other' };

/** Prefixes that make `prefix.name` a table of the default database (DuckDB's in-memory catalog). */
const TABLE_PREFIXES = ['main', 'memory', 'memory.main'];

/** The known names `sql` reads, in order of first appearance, spelled as in `known`. */
export function sqlTableRefs(sql: string, known: Iterable<string>): string[] {
  const byKey = new Map<string, string[]>();
  for (const name of known) {
    const key = name.toLowerCase();
    const list = byKey.get(key);
    if (list) list.push(name);
    else byKey.set(key, [name]);
  }
  if (byKey.size === 0) return [];

  const tokens = tokenize(sql);
  const { match, parent } = parens(tokens);
  const ctes = findCtes(tokens, match, parent);

  const found: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok.type !== 'ident') continue;
    const key = tok.value.toLowerCase();
    const names = byKey.get(key);
    if (!names || seen.has(key)) continue;
    if (!isTableRef(tokens, i)) continue;
    if (ctes.definitions.has(i)) continue;
    if (ctes.scopes.some((s) => s.key === key && i >= s.from && i < s.to)) continue;
    seen.add(key);
    found.push(...names);
  }
  return found;
}

function isWord(tok: Token | undefined, word: string): boolean {
  return tok?.type === 'ident' && !tok.quoted && tok.value.toLowerCase() === word;
}

function isPunct(tok: Token | undefined, value: string): boolean {
  return tok?.type === 'punct' && tok.value === value;
}

function isTableRef(tokens: readonly Token[], i: number): boolean {
  if (isPunct(tokens[i + 1], '(')) return false;
  if (isWord(tokens[i - 1], 'as')) return false;
  if (!isPunct(tokens[i - 1], '.')) return true;
  // After a dot: collect the dotted prefix (`a.b.name` → `a.b`) and accept only the default schema/catalog.
  const prefix: string[] = [];
  let j = i - 1;
  while (isPunct(tokens[j], '.')) {
    const part = tokens[j - 1];
    if (part?.type !== 'ident') return false;
    prefix.unshift(part.value.toLowerCase());
    j -= 2;
  }
  return TABLE_PREFIXES.includes(prefix.join('.'));
}

/** Index of each `(`'s matching `)` (or the last token when unclosed), and each token's enclosing `(`. */
function parens(tokens: readonly Token[]): { match: Map<number, number>; parent: Int32Array } {
  const match = new Map<number, number>();
  const parent = new Int32Array(tokens.length).fill(-1);
  const open: number[] = [];
  tokens.forEach((tok, i) => {
    if (isPunct(tok, ')')) {
      const o = open.pop();
      if (o !== undefined) match.set(o, i);
    }
    parent[i] = open.at(-1) ?? -1;
    if (isPunct(tok, '(')) open.push(i);
  });
  for (const o of open) match.set(o, tokens.length - 1);
  return { match, parent };
}

interface CteScope {
  key: string;
  /** Token range [from, to) where the CTE name means the CTE, not a table. */
  from: number;
  to: number;
}

/**
 * Find `WITH [RECURSIVE] name [(cols)] [USING KEY (…)] AS [[NOT] MATERIALIZED] (body) [, …]` clauses.
 * A `WITH` that does not continue like that (`WITH ORDINALITY`, `WITH TIME ZONE`) is ignored.
 */
function findCtes(
  tokens: readonly Token[],
  match: ReadonlyMap<number, number>,
  parent: Int32Array,
): { definitions: Set<number>; scopes: CteScope[] } {
  const definitions = new Set<number>();
  const scopes: CteScope[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!isWord(tokens[i], 'with')) continue;
    // The clause's scope: to the `)` closing the enclosing subquery, or to the end of the statement.
    const enclosing = parent[i]!;
    let end = tokens.length;
    if (enclosing >= 0) end = match.get(enclosing)!;
    else {
      for (let k = i + 1; k < tokens.length; k++) {
        if (isPunct(tokens[k], ';') && parent[k] === -1) {
          end = k;
          break;
        }
      }
    }

    let j = i + 1;
    const recursive = isWord(tokens[j], 'recursive');
    if (recursive) j++;
    for (;;) {
      const nameTok = tokens[j];
      if (nameTok?.type !== 'ident') break;
      const nameAt = j++;
      const skipped: number[] = [nameAt];
      if (isPunct(tokens[j], '(')) {
        // Column list: its entries are column names, not reads.
        const close = match.get(j)!;
        for (let k = j + 1; k < close; k++) skipped.push(k);
        j = close + 1;
      }
      if (isWord(tokens[j], 'using') && isWord(tokens[j + 1], 'key') && isPunct(tokens[j + 2], '(')) {
        j = match.get(j + 2)! + 1;
      }
      if (!isWord(tokens[j], 'as')) break;
      j++;
      if (isWord(tokens[j], 'not')) j++;
      if (isWord(tokens[j], 'materialized')) j++;
      if (!isPunct(tokens[j], '(')) break;
      const open = j;
      const close = match.get(open)!;
      for (const k of skipped) definitions.add(k);
      scopes.push({ key: nameTok.value.toLowerCase(), from: recursive ? open : close + 1, to: end });
      j = close + 1;
      if (!isPunct(tokens[j], ',')) break;
      j++;
    }
  }
  return { definitions, scopes };
}

const IDENT_START = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{N}_$]/u;
const DOLLAR_TAG = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/;

/** Split SQL into tokens, dropping whitespace and comments. Unterminated constructs run to the end. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  const last = (): Token | undefined => tokens.at(-1);

  /** Skip a single-quoted string starting at `i` (on the quote); `backslash` for E'…' strings. */
  const skipQuoted = (backslash: boolean): void => {
    i++;
    while (i < n) {
      const c = sql[i]!;
      if (backslash && c === '\\') i += 2;
      else if (c === "'") {
        if (sql[i + 1] === "'") i += 2;
        else {
          i++;
          return;
        }
      } else i++;
    }
  };

  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      // DuckDB (like PostgreSQL) nests block comments.
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (c === "'") {
      skipQuoted(false);
      tokens.push({ type: 'literal' });
    } else if (c === '$') {
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 256))?.[0];
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close === -1 ? n : close + tag.length;
        tokens.push({ type: 'literal' });
      } else {
        // A parameter: `$1`, `$name`.
        i++;
        while (i < n && IDENT_PART.test(sql[i]!)) i++;
        tokens.push({ type: 'other' });
      }
    } else if (c === '"') {
      let value = '';
      i++;
      while (i < n) {
        if (sql[i] === '"') {
          if (sql[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += sql[i++];
      }
      tokens.push({ type: 'ident', value, quoted: true });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? '') && !endsOperand(last()))) {
      // Numbers, including `1_000`, `1.5e-3`, `.5` and `0xFF`: one token, so `1e5` is not an identifier.
      const start = i++;
      while (i < n) {
        const d = sql[i]!;
        if (/[0-9A-Za-z_.]/.test(d)) i++;
        else if ((d === '+' || d === '-') && /^[0-9_]*\.?[0-9_]*[eE]$/.test(sql.slice(start, i))) i++;
        else break;
      }
      tokens.push({ type: 'other' });
    } else if (IDENT_START.test(c)) {
      const start = i;
      while (i < n && IDENT_PART.test(sql[i]!)) i++;
      const word = sql.slice(start, i);
      if (sql[i] === "'" && /^[eEbBxXnN]$/.test(word)) {
        // String prefixes: E'…' (backslash escapes), B'…', X'…', N'…'.
        skipQuoted(word === 'e' || word === 'E');
        tokens.push({ type: 'literal' });
      } else tokens.push({ type: 'ident', value: word, quoted: false });
    } else if (c === '(' || c === ')' || c === ',' || c === ';' || c === '.') {
      tokens.push({ type: 'punct', value: c });
      i++;
    } else {
      // Operators and anything else. `::` stays two 'other' tokens; only its neighbours matter here.
      tokens.push({ type: 'other' });
      i++;
    }
  }
  return tokens;
}

/** Whether a token can end an operand, so that a following `.5` is `.` + `5`, not the number `.5`. */
function endsOperand(tok: Token | undefined): boolean {
  return tok?.type === 'ident' || isPunct(tok, ')');
}
