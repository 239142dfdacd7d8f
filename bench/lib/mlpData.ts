/**
 * The MLP benchmark's data (bench/suites/mlp.ts): a seeded synthetic binary task, y = [x·w + 0.5·x₀x₁ +
 * noise > 0] over `cols` standard-normal features. Pure TypeScript, so the Node half and the browser
 * page (bench/lib/mlpPage.ts) generate the very same rows.
 */

export interface MlpData {
  rows: number;
  cols: number;
  /** Row-major rows × cols. */
  x: Float32Array;
  /** 0 / 1 labels. */
  y: Float32Array;
}

export function syntheticMlpData(rows: number, cols: number): MlpData {
  let s = 0x9e3779b9;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const w = Array.from({ length: cols }, () => normal());
  const x = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = 0;
    for (let j = 0; j < cols; j++) {
      const v = normal();
      x[i * cols + j] = v;
      z += v * w[j];
    }
    z += 0.5 * x[i * cols] * x[i * cols + 1] + normal();
    y[i] = z > 0 ? 1 : 0;
  }
  return { rows, cols, x, y };
}
