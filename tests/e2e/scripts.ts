/**
 * A generated "Text to performance" table for the model e2e tests (text-terms, predict-kinds): film
 * scripts with a budget, a release date and a sequel flag, and their box-office revenue and outcome.
 * Generated in DuckDB by a SQL cell, deterministic (hashes of the row number, no random()):
 * - script: 8 filler words; `spaceship` planted in ~35 % (+30 revenue), `wedding` in ~35 % (−20);
 * - budget 10…100 (+0.2 per unit); released: a DATE in 2015–2022 (a summer release, June–August, +15);
 * - sequel: BOOLEAN, ~30 % (+10); noise: sd ≈ 4;
 * - revenue (DOUBLE) and outcome: `flop` (< 55), `hit` (< 80), `blockbuster` (three classes).
 */
export const FILLER =
  'crew planet storm river city night family secret journey doctor money train island winter summer letter village soldier music garden dream mirror forest captain school'.split(
    ' ',
  );

export function scriptsSql(rows: number): string {
  const list = `[${FILLER.map((w) => `'${w}'`).join(', ')}]`;
  const word = (j: number) => `f[1 + (hash(i * 8 + ${j}) % ${FILLER.length})::INTEGER]`;
  const u = (salt: string) => `(hash(i, '${salt}') % 10000)::DOUBLE / 10000`;
  return `WITH g AS (
  SELECT i, ${list} AS f, ${u('space')} < 0.35 AS space, ${u('wedding')} < 0.35 AS wedding,
    10 + 90 * ${u('budget')} AS budget,
    DATE '2015-01-01' + (${u('released')} * 2920)::INTEGER AS released,
    ${u('sequel')} < 0.3 AS sequel,
    (${u('n1')} + ${u('n2')} + ${u('n3')} - 1.5) * 8 AS noise
  FROM range(${rows}) t(i)
), r AS (
  SELECT *, 50 + 30 * space::INTEGER - 20 * wedding::INTEGER + 0.2 * budget
    + 15 * (month(released) BETWEEN 6 AND 8)::INTEGER + 10 * sequel::INTEGER + noise AS revenue
  FROM g
)
SELECT concat_ws(' ', ${word(0)}, ${word(1)}, ${word(2)}, ${word(3)},
    CASE WHEN space THEN 'spaceship' END, ${word(4)}, ${word(5)},
    CASE WHEN wedding THEN 'wedding' END, ${word(6)}, ${word(7)}) AS script,
  round(budget, 1) AS budget, released, sequel, revenue,
  CASE WHEN revenue < 55 THEN 'flop' WHEN revenue < 80 THEN 'hit' ELSE 'blockbuster' END AS outcome
FROM r ORDER BY i`;
}
