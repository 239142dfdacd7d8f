/**
 * Gradient/hessian/count histograms: for every (used) feature and bin, the sums over a node's rows.
 * Layout: one Float64Array of `totalBins * 3` per node, feature f's bin b at `(binOffset[f] + b) * 3`
 * holding (sum of gradients, sum of hessians, row count). Siblings use the subtraction trick:
 * only the smaller child is built from its rows; the larger is `parent − smaller`, in place.
 */
import type { BinnedData } from './binning.ts';

/** Reusable histogram buffers (one per open leaf), so growing a tree allocates nothing. */
export class HistogramPool {
  private free: Float64Array[] = [];
  constructor(readonly size: number) {}
  get(): Float64Array {
    return this.free.pop() ?? new Float64Array(this.size);
  }
  release(h: Float64Array): void {
    this.free.push(h);
  }
}

/** Zero the bins of the used features. */
function clearUsed(hist: Float64Array, data: BinnedData, used: Int32Array, allUsed: boolean): void {
  if (allUsed) {
    hist.fill(0);
    return;
  }
  const off = data.binOffset;
  for (let j = 0; j < used.length; j++) {
    const f = used[j];
    hist.fill(0, off[f] * 3, off[f + 1] * 3);
  }
}

/**
 * Build the histogram of rows `indices[start..end)` for the features in `used` (ascending).
 * `allUsed` = every feature is used (clear and subtract whole buffers).
 */
export function buildHistogram(
  hist: Float64Array,
  data: BinnedData,
  grad: Float32Array,
  hess: Float32Array,
  indices: Uint32Array,
  start: number,
  end: number,
  used: Int32Array,
  allUsed: boolean,
): void {
  clearUsed(hist, data, used, allUsed);
  const nUsed = used.length;
  const os = ensureOffsets(nUsed);
  for (let j = 0; j < nUsed; j++) os[j] = data.binOffset[used[j]] * 3;
  const bins = data.bins;
  const F = data.nFeatures;
  // Fully unrolled kernels over up to 8 features per pass: V8 runs these ~2× faster than a loop
  // over features inside the row loop (measured); more features take more passes.
  for (let j = 0; j < nUsed; j += 8) {
    const m = Math.min(8, nUsed - j);
    KERNELS[m - 1](hist, bins, F, grad, hess, indices, start, end, used, os, j);
  }
}

let offsetScratch = new Int32Array(64);
function ensureOffsets(n: number): Int32Array {
  if (offsetScratch.length < n) offsetScratch = new Int32Array(n);
  return offsetScratch;
}

type Kernel = (
  h: Float64Array,
  bins: Uint8Array,
  F: number,
  grad: Float32Array,
  hess: Float32Array,
  idx: Uint32Array,
  s: number,
  e: number,
  fs: Int32Array,
  os: Int32Array,
  j: number,
) => void;

// Generated: k<m> adds rows idx[s..e) to the histograms of features fs[j..j+m) at offsets os[j..j+m).
function k1(
  h: Float64Array,
  bins: Uint8Array,
  F: number,
  grad: Float32Array,
  hess: Float32Array,
  idx: Uint32Array,
  s: number,
  e: number,
  fs: Int32Array,
  os: Int32Array,
  j: number,
): void {
  const f0 = fs[j + 0];
  const o0 = os[j + 0];
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const g = grad[r];
    const hh = hess[r];
    const b = r * F;
    const o = o0 + bins[b + f0] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
  }
}

function k2(
  h: Float64Array,
  bins: Uint8Array,
  F: number,
  grad: Float32Array,
  hess: Float32Array,
  idx: Uint32Array,
  s: number,
  e: number,
  fs: Int32Array,
  os: Int32Array,
  j: number,
): void {
  const f0 = fs[j + 0];
  const o0 = os[j + 0];
  const f1 = fs[j + 1];
  const o1 = os[j + 1];
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const g = grad[r];
    const hh = hess[r];
    const b = r * F;
    let o = o0 + bins[b + f0] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o1 + bins[b + f1] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
  }
}

function k3(
  h: Float64Array,
  bins: Uint8Array,
  F: number,
  grad: Float32Array,
  hess: Float32Array,
  idx: Uint32Array,
  s: number,
  e: number,
  fs: Int32Array,
  os: Int32Array,
  j: number,
): void {
  const f0 = fs[j + 0];
  const o0 = os[j + 0];
  const f1 = fs[j + 1];
  const o1 = os[j + 1];
  const f2 = fs[j + 2];
  const o2 = os[j + 2];
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const g = grad[r];
    const hh = hess[r];
    const b = r * F;
    let o = o0 + bins[b + f0] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o1 + bins[b + f1] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o2 + bins[b + f2] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
  }
}

function k4(
  h: Float64Array,
  bins: Uint8Array,
  F: number,
  grad: Float32Array,
  hess: Float32Array,
  idx: Uint32Array,
  s: number,
  e: number,
  fs: Int32Array,
  os: Int32Array,
  j: number,
): void {
  const f0 = fs[j + 0];
  const o0 = os[j + 0];
  const f1 = fs[j + 1];
  const o1 = os[j + 1];
  const f2 = fs[j + 2];
  const o2 = os[j + 2];
  const f3 = fs[j + 3];
  const o3 = os[j + 3];
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const g = grad[r];
    const hh = hess[r];
    const b = r * F;
    let o = o0 + bins[b + f0] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o1 + bins[b + f1] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o2 + bins[b + f2] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o3 + bins[b + f3] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
  }
}

function k5(
  h: Float64Array,
  bins: Uint8Array,
  F: number,
  grad: Float32Array,
  hess: Float32Array,
  idx: Uint32Array,
  s: number,
  e: number,
  fs: Int32Array,
  os: Int32Array,
  j: number,
): void {
  const f0 = fs[j + 0];
  const o0 = os[j + 0];
  const f1 = fs[j + 1];
  const o1 = os[j + 1];
  const f2 = fs[j + 2];
  const o2 = os[j + 2];
  const f3 = fs[j + 3];
  const o3 = os[j + 3];
  const f4 = fs[j + 4];
  const o4 = os[j + 4];
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const g = grad[r];
    const hh = hess[r];
    const b = r * F;
    let o = o0 + bins[b + f0] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o1 + bins[b + f1] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o2 + bins[b + f2] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o3 + bins[b + f3] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o4 + bins[b + f4] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
  }
}

function k6(
  h: Float64Array,
  bins: Uint8Array,
  F: number,
  grad: Float32Array,
  hess: Float32Array,
  idx: Uint32Array,
  s: number,
  e: number,
  fs: Int32Array,
  os: Int32Array,
  j: number,
): void {
  const f0 = fs[j + 0];
  const o0 = os[j + 0];
  const f1 = fs[j + 1];
  const o1 = os[j + 1];
  const f2 = fs[j + 2];
  const o2 = os[j + 2];
  const f3 = fs[j + 3];
  const o3 = os[j + 3];
  const f4 = fs[j + 4];
  const o4 = os[j + 4];
  const f5 = fs[j + 5];
  const o5 = os[j + 5];
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const g = grad[r];
    const hh = hess[r];
    const b = r * F;
    let o = o0 + bins[b + f0] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o1 + bins[b + f1] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o2 + bins[b + f2] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o3 + bins[b + f3] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o4 + bins[b + f4] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o5 + bins[b + f5] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
  }
}

function k7(
  h: Float64Array,
  bins: Uint8Array,
  F: number,
  grad: Float32Array,
  hess: Float32Array,
  idx: Uint32Array,
  s: number,
  e: number,
  fs: Int32Array,
  os: Int32Array,
  j: number,
): void {
  const f0 = fs[j + 0];
  const o0 = os[j + 0];
  const f1 = fs[j + 1];
  const o1 = os[j + 1];
  const f2 = fs[j + 2];
  const o2 = os[j + 2];
  const f3 = fs[j + 3];
  const o3 = os[j + 3];
  const f4 = fs[j + 4];
  const o4 = os[j + 4];
  const f5 = fs[j + 5];
  const o5 = os[j + 5];
  const f6 = fs[j + 6];
  const o6 = os[j + 6];
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const g = grad[r];
    const hh = hess[r];
    const b = r * F;
    let o = o0 + bins[b + f0] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o1 + bins[b + f1] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o2 + bins[b + f2] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o3 + bins[b + f3] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o4 + bins[b + f4] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o5 + bins[b + f5] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o6 + bins[b + f6] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
  }
}

function k8(
  h: Float64Array,
  bins: Uint8Array,
  F: number,
  grad: Float32Array,
  hess: Float32Array,
  idx: Uint32Array,
  s: number,
  e: number,
  fs: Int32Array,
  os: Int32Array,
  j: number,
): void {
  const f0 = fs[j + 0];
  const o0 = os[j + 0];
  const f1 = fs[j + 1];
  const o1 = os[j + 1];
  const f2 = fs[j + 2];
  const o2 = os[j + 2];
  const f3 = fs[j + 3];
  const o3 = os[j + 3];
  const f4 = fs[j + 4];
  const o4 = os[j + 4];
  const f5 = fs[j + 5];
  const o5 = os[j + 5];
  const f6 = fs[j + 6];
  const o6 = os[j + 6];
  const f7 = fs[j + 7];
  const o7 = os[j + 7];
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const g = grad[r];
    const hh = hess[r];
    const b = r * F;
    let o = o0 + bins[b + f0] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o1 + bins[b + f1] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o2 + bins[b + f2] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o3 + bins[b + f3] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o4 + bins[b + f4] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o5 + bins[b + f5] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o6 + bins[b + f6] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
    o = o7 + bins[b + f7] * 3;
    h[o] += g;
    h[o + 1] += hh;
    h[o + 2] += 1;
  }
}

const KERNELS: Kernel[] = [k1, k2, k3, k4, k5, k6, k7, k8];

/** `parent −= child` over the used features: parent becomes the sibling's histogram. */
export function subtractHistogram(
  parent: Float64Array,
  child: Float64Array,
  data: BinnedData,
  used: Int32Array,
  allUsed: boolean,
): void {
  if (allUsed) {
    for (let i = 0, n = parent.length; i < n; i++) parent[i] -= child[i];
    return;
  }
  const off = data.binOffset;
  for (let j = 0; j < used.length; j++) {
    const f = used[j];
    for (let i = off[f] * 3, e = off[f + 1] * 3; i < e; i++) parent[i] -= child[i];
  }
}
