/**
 * Profile of one explained single-row /predict (issue 6) on the 300-tree flights GBDT of the serve
 * bench, as CPU µs per request: (a) `server`: the real server (node:http + Hono, a child process started
 * like the serve bench's, over `BENCHTOP_DIST` or `dist/`, which must exist), N sequential keep-alive requests, the child's CPU time
 * read from /proc; (b) `app`: the Hono app in process (`app.request`: the whole route — body read,
 * validation, predictRows, metrics, monitor log, JSON — plus a fetch Request/Response per call that
 * node:http does not build); (c) `predictRows` alone; (d) TreeSHAP alone. Run with
 * `node --cpu-prof --import tsx bench/lib/profilePredict.ts` for a V8 profile of the in-process stages.
 * Env: PROFILE_N (requests per stage, default 5000), PROFILE_EXPLAIN_THREADS (the server's
 * BENCHTOP_EXPLAIN_THREADS, default 0: explanations in its event-loop thread), PROFILE_ARTIFACT (a cached artifact JSON; trained
 * and written there when missing), PROFILE_ONLY (one of server, app, predictRows, treeShap).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../server/app.ts';
import { predictRows } from '../../server/predict.ts';
import { ModelStore } from '../../server/store/store.ts';
import { trainModel } from '../../src/core/ml/train.ts';
import { flightsSpec, flightsTable, loadFlights } from '../../server/__tests__/flightsModel.ts';
import { stopChild } from './child.ts';
import { post } from './http.ts';

const N = Number(process.env.PROFILE_N ?? 5000);
const ARTIFACT = process.env.PROFILE_ARTIFACT ?? '/tmp/benchtop-flights-300.json';
const ONLY = process.env.PROFILE_ONLY;

const flights = await loadFlights(150);
if (!existsSync(ARTIFACT)) {
  const { artifact } = await trainModel(
    flightsTable(flights),
    flightsSpec({ splitSeed: 1, seed: 1, params: { nEstimators: 300, earlyStoppingRounds: 0 } }),
    { backend: 'js' },
  );
  writeFileSync(ARTIFACT, JSON.stringify(artifact));
}
const artifactJson = readFileSync(ARTIFACT, 'utf8');
const rows = flights.slice(-500).map((f) => ({
  date: new Date(f.date).toISOString(),
  origin: f.origin,
  destination: f.destination,
  distance: f.distance,
}));
const bodies = rows.map((r) => JSON.stringify(r));

const store = ModelStore.memory();
const token = 'profile-token-0123456789abcdef0123';
const app = createApp({ distDir: '/nonexistent', store, token });
const dep = await app.request('/v1/models?name=flights', {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: artifactJson,
});
if (dep.status !== 201) throw new Error(`deploy: ${dep.status} ${await dep.text()}`);
const m = store.get('flights');
if (!m) throw new Error('not deployed');
const encoded = rows.map((r) => m.loaded.encodeRecords([r]).X);
const explain = m.loaded.model.explain!.bind(m.loaded.model);

const stages: Record<string, (i: number) => Promise<unknown>> = {
  app: async (i) => {
    const r = await app.request('http://127.0.0.1/predict?top_k=5', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bodies[i % bodies.length],
    });
    if (r.status !== 200) throw new Error(`predict: ${r.status} ${await r.text()}`);
    return r.text();
  },
  predictRows: (i) => predictRows(m, [rows[i % rows.length]], 5),
  treeShap: (i) => explain(encoded[i % encoded.length], 0),
};
const sink: unknown[] = [];
for (const [name, fn] of Object.entries(stages)) {
  if (ONLY && name !== ONLY) continue;
  for (let i = 0; i < 500; i++) sink.push(await fn(i));
  sink.length = 0;
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < N; i++) await fn(i);
  const c = process.cpuUsage(c0);
  const wall = performance.now() - w0;
  console.log(
    `${name.padEnd(12)} ${((c.user + c.system) / N).toFixed(1).padStart(8)} µs CPU/req  ${((wall * 1000) / N).toFixed(1).padStart(8)} µs wall/req`,
  );
}

/** User + system CPU seconds of a Linux process (/proc/<pid>/stat fields 14 and 15, in clock ticks). */
function procCpuUs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) / 100) * 1e6;
}

if (!ONLY || ONLY === 'server') {
  const dir = mkdtempSync(join(tmpdir(), 'profile-predict-'));
  const child = spawn(
    process.execPath,
    [
      ...(process.env.PROFILE_CHILD_FLAGS ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      'bench/suites/serve.ts',
      '--child',
      process.env.BENCHTOP_DIST ?? 'dist',
      join(dir, 'models'),
      '1',
      process.env.PROFILE_EXPLAIN_THREADS ?? '0',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^READY (.*)$/m.exec(out);
        if (m) resolve(m[1].trim());
      });
      child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const port = Number(new URL(url).port);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const st = await post(agent, port, '/v1/models?name=flights', artifactJson, {
      authorization: 'Bearer bench-serve-token-0123456789abcdef',
    });
    if (st !== 201) throw new Error(`deploy: ${st}`);
    for (const [name, path] of [
      ['server', '/predict?top_k=5'],
      ['server k=0', '/predict?top_k=0'],
    ]) {
      for (let i = 0; i < 1000; i++) await post(agent, port, path, bodies[i % bodies.length]);
      const c0 = procCpuUs(child.pid as number);
      const w0 = performance.now();
      for (let i = 0; i < N; i++) {
        const code = await post(agent, port, path, bodies[i % bodies.length]);
        if (code !== 200) throw new Error(`predict: ${code}`);
      }
      const cpu = procCpuUs(child.pid as number) - c0;
      const wall = performance.now() - w0;
      console.log(
        `${name.padEnd(12)} ${(cpu / N).toFixed(1).padStart(8)} µs CPU/req  ${((wall * 1000) / N).toFixed(1).padStart(8)} µs wall/req (server process; 10 ms ticks)`,
      );
    }
    agent.destroy();
  } finally {
    await stopChild(child); // before removing the folder it flushes its prediction log into
    rmSync(dir, { recursive: true, force: true });
  }
}
