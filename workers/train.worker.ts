/**
 * The training worker: TF.js on one backend (chosen once, see `TrainApi.init`), the model families,
 * the feature pipeline and the artifact loader, exposed over comlink as `TrainApi`.
 *
 * The tfjs wasm binaries are served from our own build (`?url` imports + `setWasmPaths`), never from a
 * CDN; the single-threaded build is forced (`WASM_HAS_MULTITHREAD_SUPPORT=false`) because the threaded
 * one hangs in a minified bundle under cross-origin isolation and gives nothing on 2 cores.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as Comlink from 'comlink';
import { type LoadedModel, loadArtifact } from '../src/core/ml/artifact.ts';
import { columnarFromArrow } from '../src/core/ml/arrowTable.ts';
import { trainModel } from '../src/core/ml/train.ts';
import type { Backend, BackendInfo, TrainApi, TrainProgress } from './train.api.ts';

tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: {
    isFallbackAdapter?: boolean;
    description?: string;
    vendor?: string;
    architecture?: string;
    device?: string;
  };
}

async function probeAdapter(): Promise<BackendInfo['adapter'] | undefined> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
  if (!gpu) return undefined;
  try {
    const a = await gpu.requestAdapter();
    if (!a) return undefined;
    const info = a.info ?? {};
    const description =
      [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || undefined;
    return { isFallbackAdapter: Boolean(a.isFallbackAdapter ?? info.isFallbackAdapter), description };
  } catch {
    return undefined;
  }
}

/** WebGL2 through OffscreenCanvas: available? software (SwiftShader / llvmpipe)? */
function probeWebgl(): { available: boolean; renderer?: string; software: boolean } {
  try {
    if (typeof OffscreenCanvas === 'undefined') return { available: false, software: true };
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!gl) return { available: false, software: true };
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return {
      available: true,
      renderer,
      software: /swiftshader|llvmpipe|software|basic render/i.test(renderer),
    };
  } catch {
    return { available: false, software: true };
  }
}

async function tryBackend(b: Backend): Promise<boolean> {
  try {
    if (!(await tf.setBackend(b))) return false;
    await tf.ready();
    // A first tiny op proves the backend really works (read back asynchronously: webgpu).
    const t = tf.add(tf.scalar(1), tf.scalar(1));
    const ok = (await t.data())[0] === 2;
    t.dispose();
    return ok && tf.getBackend() === b;
  } catch {
    return false;
  }
}

async function chooseBackend(prefer?: Backend): Promise<BackendInfo> {
  const adapter = await probeAdapter();
  const withAdapter = (info: Omit<BackendInfo, 'adapter'>): BackendInfo =>
    adapter ? { ...info, adapter } : info;
  let note = '';
  if (prefer) {
    if (await tryBackend(prefer)) return withAdapter({ backend: prefer, reason: `${prefer} was requested.` });
    note = `${prefer} was requested but could not start; `;
  }
  if (adapter && !adapter.isFallbackAdapter && (await tryBackend('webgpu'))) {
    return withAdapter({
      backend: 'webgpu',
      reason: `${note}a hardware WebGPU adapter${adapter.description ? ` (${adapter.description})` : ''} is available.`,
    });
  }
  const gl = probeWebgl();
  if (gl.available && !gl.software && !adapter?.isFallbackAdapter && (await tryBackend('webgl'))) {
    return withAdapter({
      backend: 'webgl',
      reason: `${note}no hardware WebGPU adapter, but hardware WebGL2 (${gl.renderer}).`,
    });
  }
  if (await tryBackend('wasm')) {
    const why = adapter?.isFallbackAdapter
      ? `the only WebGPU adapter is a software fallback adapter (isFallbackAdapter${adapter.description ? `, ${adapter.description}` : ''}), far slower than WASM`
      : gl.available && gl.software
        ? `no WebGPU adapter and WebGL2 is software-rendered (${gl.renderer})`
        : 'no WebGPU adapter and no hardware WebGL2';
    return withAdapter({ backend: 'wasm', reason: `${note}${why}, so WASM (SIMD, single thread).` });
  }
  await tryBackend('cpu');
  return withAdapter({
    backend: 'cpu',
    reason: `${note}neither WebGPU, WebGL nor WASM could start, so the plain-JS CPU backend.`,
  });
}

/** Smallest interval between two progress events of one fit, ms. */
const PROGRESS_MS = 50;

let chosen: Promise<BackendInfo> | undefined;
let chosenPrefer: Backend | undefined;
const running = new Map<string, AbortController>();
const loaded = new Map<string, Promise<LoadedModel>>();

const api: TrainApi = {
  init(prefer) {
    if (chosen && prefer && prefer !== chosenPrefer) {
      return Promise.reject(
        new Error(`This training worker already chose its backend; create a new worker to use ${prefer}.`),
      );
    }
    chosenPrefer ??= prefer;
    chosen ??= chooseBackend(prefer);
    return chosen;
  },
  async train(request, onProgress) {
    const info = await api.init();
    if (running.has(request.runId)) throw new Error(`Run "${request.runId}" is already training.`);
    const ctl = new AbortController();
    running.set(request.runId, ctl);
    const t0 = performance.now();
    let lastSent = Number.NEGATIVE_INFINITY;
    let lastFit = -1;
    try {
      const { arrow, types, runId, ...spec } = request;
      const table = columnarFromArrow(arrow, types);
      const out = await trainModel(
        table,
        { ...spec, tableFingerprint: spec.tableFingerprint ?? fnv1a(arrow) },
        {
          backend: info.backend,
          signal: ctl.signal,
          onProgress: (p) => {
            // At most one event per PROGRESS_MS within a fit (plus each fit's first and last step): a GBDT
            // reports every tree, thousands a second, and the page would queue them faster than it can
            // draw them — Cancel then waited seconds behind the backlog. The live curve is sampled; the
            // stored run keeps every point.
            const now = performance.now();
            const fit = p.trial ?? 0;
            if (fit === lastFit && p.step < p.total && now - lastSent < PROGRESS_MS) return;
            lastFit = fit;
            lastSent = now;
            const event: TrainProgress = { ...p, runId, elapsedMs: Math.round(now - t0) };
            // A comlink proxy: fire and forget (the page may have gone away).
            void Promise.resolve(onProgress?.(event)).catch(() => undefined);
          },
        },
      );
      return { ...out, runId, backend: info.backend };
    } finally {
      running.delete(request.runId);
    }
  },
  async cancel(runId) {
    const ctl = running.get(runId);
    ctl?.abort();
    return Boolean(ctl);
  },
  async predict(artifactJson, records) {
    await api.init();
    const key = typeof artifactJson === 'string' ? artifactJson : JSON.stringify(artifactJson);
    let model = loaded.get(key);
    if (!model) {
      model = loadArtifact(typeof artifactJson === 'string' ? JSON.parse(artifactJson) : artifactJson);
      if (loaded.size >= 4) {
        const oldest = loaded.keys().next().value!;
        void loaded.get(oldest)?.then(
          (m) => (m.model as { dispose?: () => void }).dispose?.(),
          () => undefined,
        );
        loaded.delete(oldest);
      }
      loaded.set(key, model);
      model.catch(() => loaded.delete(key));
    }
    return (await model).predictRecords(records);
  },
};

/** FNV-1a (32-bit) of the Arrow bytes: the table fingerprint recorded in the artifact. */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return `fnv1a:${h.toString(16).padStart(8, '0')}-${bytes.length}`;
}

Comlink.expose(api);
