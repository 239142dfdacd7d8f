import { describe, expect, it } from 'vitest';
import { sqlTableRefs } from '../sqlRefs.ts';

const known = ['orders', 'customers', 'items', 'Payments', 'by_state'];
const refs = (sql: string, names: Iterable<string> = known): string[] => sqlTableRefs(sql, names);

describe('sqlTableRefs: plain references', () => {
  it('finds tables in FROM and JOIN, in order of first appearance, once each', () => {
    expect(
      refs(`SELECT o.id, c.state
            FROM orders o JOIN customers c ON o.customer_id = c.id
            LEFT JOIN orders o2 ON o2.id = o.id`),
    ).toEqual(['orders', 'customers']);
  });

  it('returns nothing when nothing known is read, or nothing is known', () => {
    expect(refs('SELECT 1')).toEqual([]);
    expect(refs('SELECT * FROM somewhere_else')).toEqual([]);
    expect(refs('SELECT * FROM orders', [])).toEqual([]);
    expect(refs('')).toEqual([]);
  });

  it('handles FROM-first syntax, subqueries, set operations and several statements', () => {
    expect(refs('FROM orders')).toEqual(['orders']);
    expect(refs('SELECT * FROM (SELECT * FROM (SELECT * FROM items)) x')).toEqual(['items']);
    expect(refs('SELECT id FROM orders UNION ALL SELECT id FROM customers')).toEqual(['orders', 'customers']);
    expect(refs('SELECT * FROM orders; SELECT * FROM items;')).toEqual(['orders', 'items']);
    expect(refs('SELECT * FROM orders WHERE id IN (SELECT order_id FROM items)')).toEqual([
      'orders',
      'items',
    ]);
  });

  it('matches case-insensitively, quoted or not (DuckDB identifiers are case-insensitive)', () => {
    expect(refs('select * from ORDERS')).toEqual(['orders']);
    expect(refs('select * from "Orders"')).toEqual(['orders']);
    expect(refs('select * from payments')).toEqual(['Payments']);
    expect(refs('select * from "PAYMENTS"')).toEqual(['Payments']);
  });

  it('returns every known spelling that matches', () => {
    expect(refs('select * from T', ['t', 'T'])).toEqual(['t', 'T']);
  });

  it('reads names without surrounding whitespace', () => {
    expect(refs('SELECT*FROM(orders)JOIN"customers"USING(id)')).toEqual(['orders', 'customers']);
  });

  it('accepts any iterable of known names', () => {
    expect(refs('SELECT * FROM orders', new Set(['orders']))).toEqual(['orders']);
  });
});

describe('sqlTableRefs: strings and comments never count', () => {
  it('skips single-quoted strings, with doubled-quote escapes', () => {
    expect(refs("SELECT 'orders' AS s FROM items")).toEqual(['items']);
    expect(refs("SELECT 'it''s from orders' FROM items")).toEqual(['items']);
    expect(refs("SELECT '''' , 'a''''b orders' FROM items")).toEqual(['items']);
    // The string ends at the right quote: what follows is SQL again.
    expect(refs("SELECT 'x''' FROM orders")).toEqual(['orders']);
  });

  it('skips file paths given as strings (the table is not the file)', () => {
    expect(refs("SELECT * FROM 'orders.csv'")).toEqual([]);
    expect(refs("SELECT * FROM read_csv('orders.csv')")).toEqual([]);
  });

  it('skips E-strings with backslash escapes and other prefixed strings', () => {
    expect(refs("SELECT E'it\\'s orders' FROM items")).toEqual(['items']);
    expect(refs("SELECT e'\\\\' , x'ff', B'0101', N'orders' FROM customers")).toEqual(['customers']);
  });

  it('skips dollar-quoted strings, tagged or not', () => {
    expect(refs("SELECT $$ it's orders $$ FROM items")).toEqual(['items']);
    expect(refs('SELECT $tag$ orders $$ still inside $tag$ FROM customers')).toEqual(['customers']);
    expect(refs('SELECT $a$ x $b$ orders $b$ $a$ FROM items')).toEqual(['items']);
  });

  it('treats $1 and $name as parameters, not as dollar quotes', () => {
    expect(refs('SELECT * FROM orders WHERE id = $1 AND x = $name')).toEqual(['orders']);
    expect(refs('SELECT $1, orders.id FROM items')).toEqual(['orders', 'items']);
  });

  it('skips line comments and (nested) block comments', () => {
    expect(refs('SELECT 1 -- FROM orders\nFROM items')).toEqual(['items']);
    expect(refs('SELECT 1 /* FROM orders */ FROM items')).toEqual(['items']);
    expect(refs('SELECT 1 /* a /* FROM orders */ FROM customers */ FROM items')).toEqual(['items']);
    expect(refs('SELECT 1 FROM items -- trailing, no newline orders')).toEqual(['items']);
    expect(refs("SELECT '--not a comment' FROM orders")).toEqual(['orders']);
    expect(refs("SELECT '/*' FROM orders /* '*/")).toEqual(['orders']);
  });

  it('does not get confused by unterminated strings, identifiers or comments', () => {
    expect(refs("SELECT * FROM items WHERE x = 'orders")).toEqual(['items']);
    expect(refs('SELECT * FROM items /* orders')).toEqual(['items']);
    expect(refs('SELECT * FROM items WHERE $$ orders')).toEqual(['items']);
    expect(refs('SELECT * FROM "orders')).toEqual(['orders']);
  });

  it('tells numbers from identifiers', () => {
    expect(refs('SELECT 1e5, 1.5e-3, 0xFF, 1_000, .5 FROM orders', ['e5', 'xff', 'orders', 'e'])).toEqual([
      'orders',
    ]);
  });
});

describe('sqlTableRefs: quoted identifiers', () => {
  it('unescapes doubled double quotes', () => {
    expect(refs('SELECT * FROM "we""ird"', ['we"ird'])).toEqual(['we"ird']);
    expect(refs('SELECT * FROM "a b"', ['a b'])).toEqual(['a b']);
  });

  it('does not match a quoted identifier that merely contains a known name', () => {
    expect(refs('SELECT "orders count" FROM items')).toEqual(['items']);
  });
});

describe('sqlTableRefs: dotted names', () => {
  it('ignores a known name used as a column or struct field after a dot', () => {
    expect(refs('SELECT t.orders, t.customers FROM items t')).toEqual(['items']);
    expect(refs('SELECT s.a.orders FROM items s')).toEqual(['items']);
    expect(refs('SELECT "t"."orders" FROM items t')).toEqual(['items']);
  });

  it('counts schema- and catalog-qualified tables of the default database', () => {
    expect(refs('SELECT * FROM main.orders')).toEqual(['orders']);
    expect(refs('SELECT * FROM MAIN."Orders"')).toEqual(['orders']);
    expect(refs('SELECT * FROM memory.orders')).toEqual(['orders']);
    expect(refs('SELECT * FROM memory.main.orders')).toEqual(['orders']);
    expect(refs('SELECT * FROM main . orders')).toEqual(['orders']);
    expect(refs('SELECT main.orders.id FROM items')).toEqual(['orders', 'items']);
  });

  it('ignores other schemas and catalogs', () => {
    expect(refs('SELECT * FROM other.orders')).toEqual([]);
    expect(refs('SELECT * FROM other_db.main.orders')).toEqual([]);
  });

  it('counts the qualifier before a dot (a table, or an alias that over-approximates)', () => {
    expect(refs('SELECT orders.id FROM items')).toEqual(['orders', 'items']);
    expect(refs('SELECT orders.* FROM orders')).toEqual(['orders']);
  });
});

describe('sqlTableRefs: aliases and function calls', () => {
  it('ignores a name right after AS (an alias being defined)', () => {
    expect(refs('SELECT count(*) AS orders FROM items')).toEqual(['items']);
    expect(refs('SELECT * FROM items AS orders')).toEqual(['items']);
    expect(refs('SELECT * FROM items AS "Orders"')).toEqual(['items']);
    expect(refs('SELECT * FROM items AS orders(a, b)')).toEqual(['items']);
    expect(refs('SELECT CAST(x AS orders) FROM items')).toEqual(['items']);
  });

  it('ignores a name called as a function', () => {
    expect(refs('SELECT orders(x) FROM items')).toEqual(['items']);
    expect(refs('SELECT "orders" (x) FROM items')).toEqual(['items']);
  });

  it('over-approximates a bare identifier equal to a known name (documented)', () => {
    // A column that happens to be named like a table: counted (a needless edge, never a missing one).
    expect(refs('SELECT orders FROM customers')).toEqual(['orders', 'customers']);
    // An alias given without AS, then used.
    expect(refs('SELECT orders.id FROM items orders')).toEqual(['orders', 'items']);
  });
});

describe('sqlTableRefs: CTEs shadow tables', () => {
  it('excludes a CTE name where it is visible', () => {
    expect(refs('WITH orders AS (SELECT * FROM items) SELECT * FROM orders')).toEqual(['items']);
    expect(refs('with "Orders" as (select 1) select * from orders')).toEqual([]);
  });

  it('counts the real table inside a non-recursive CTE of the same name', () => {
    // DuckDB resolves `orders` in the body to the table, not to the CTE being defined.
    expect(refs('WITH orders AS (SELECT * FROM orders WHERE x > 0) SELECT * FROM orders')).toEqual([
      'orders',
    ]);
  });

  it('lets later CTEs see earlier ones, but not the other way round', () => {
    const sql = `WITH a AS (SELECT * FROM orders),
                      orders AS (SELECT * FROM a JOIN customers USING (id)),
                      b AS (SELECT * FROM orders)
                 SELECT * FROM b JOIN orders USING (id)`;
    expect(refs(sql, ['orders', 'customers', 'a', 'b'])).toEqual(['orders', 'customers']);
  });

  it('shadows inside the body of a recursive CTE', () => {
    const sql = `WITH RECURSIVE orders(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM orders WHERE n < 10)
                 SELECT * FROM orders`;
    expect(refs(sql)).toEqual([]);
  });

  it('handles column lists, MATERIALIZED, NOT MATERIALIZED and USING KEY', () => {
    expect(refs('WITH orders(customers) AS (SELECT 1) SELECT * FROM orders')).toEqual([]);
    expect(refs('WITH orders AS MATERIALIZED (SELECT * FROM items) SELECT * FROM orders')).toEqual(['items']);
    expect(refs('WITH orders AS NOT MATERIALIZED (SELECT * FROM items) FROM orders')).toEqual(['items']);
    expect(
      refs('WITH RECURSIVE orders(id) USING KEY (id) AS (SELECT 1 UNION SELECT id FROM orders) FROM orders'),
    ).toEqual([]);
  });

  it('scopes a CTE to its statement', () => {
    expect(refs('WITH orders AS (SELECT 1) SELECT * FROM orders; SELECT * FROM orders')).toEqual(['orders']);
  });

  it('scopes a CTE in a subquery to that subquery', () => {
    const sql = 'SELECT * FROM (WITH orders AS (SELECT 1) SELECT * FROM orders) x JOIN orders USING (id)';
    expect(refs(sql)).toEqual(['orders']);
    expect(refs('SELECT * FROM (WITH orders AS (SELECT 1) SELECT * FROM orders) x')).toEqual([]);
  });

  it('does not mistake other uses of WITH for a CTE', () => {
    expect(refs('SELECT * FROM unnest([1]) WITH ORDINALITY AS orders(v, i)')).toEqual([]);
    expect(refs("SELECT TIMESTAMP WITH TIME ZONE '2020-01-01' FROM orders")).toEqual(['orders']);
    expect(refs('SELECT * FROM orders WITH')).toEqual(['orders']);
  });

  it('does not shadow a CTE name that only appears in a string', () => {
    expect(refs("SELECT 'WITH orders AS (SELECT 1)' FROM orders")).toEqual(['orders']);
  });
});

describe('sqlTableRefs: realistic query', () => {
  it('finds exactly the tables of a multi-join analytic query', () => {
    const sql = `
      -- revenue by state, from orders and customers
      WITH paid AS (
        SELECT o.order_id, o.customer_id, SUM(p.payment_value) AS revenue
        FROM orders AS o
        JOIN "Payments" p ON p.order_id = o.order_id
        WHERE o.order_status <> 'canceled' /* keep 'delivered' and others */
        GROUP BY ALL
      )
      SELECT c.customer_state AS state, round(sum(paid.revenue), 2) AS revenue
      FROM paid
      JOIN main.customers c USING (customer_id)
      GROUP BY state
      ORDER BY revenue DESC
      LIMIT 10;`;
    expect(refs(sql, known)).toEqual(['orders', 'Payments', 'customers']);
    // If other cells happen to define `paid`, `revenue` and `state`: the CTE still shadows `paid`, the
    // aliases after AS and the qualified `paid.revenue` are skipped, but `GROUP BY state` and
    // `ORDER BY revenue` are bare identifiers and over-approximate (documented).
    expect(refs(sql, [...known, 'paid', 'revenue', 'state'])).toEqual([
      'orders',
      'Payments',
      'customers',
      'state',
      'revenue',
    ]);
  });
});
