/**
 * The prediction log's batched writes (issue 6): lines wait up to a delay or a line count, then go to
 * disk in one append; flush(), flushPredictionLogs() and a server's close() leave nothing in memory.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';
import { startServer } from '../start.ts';
import {
  flushPredictionLogs,
  LOG_FILE,
  LOG_FILE_OLD,
  type LogEntry,
  PredictionLog,
} from '../store/monitor.ts';
import { type Fixture, makeDist } from './fixture.ts';
import { GOOD, trainSynthetic } from './modelFixture.ts';

let root: string;
let n = 0;
const fresh = () => {
  const dir = join(root, `log-${n++}`);
  mkdirSync(dir);
  return dir;
};
const entry = (i: number): LogEntry => ({
  t: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  v: 1,
  x: { i },
  y: [i / 100],
});
/** The file's lines parsed back, or null when the file does not exist. */
const onDisk = (dir: string, file = LOG_FILE): LogEntry[] | null =>
  existsSync(join(dir, file))
    ? readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LogEntry)
    : null;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'benchtop-monitor-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('PredictionLog batching', () => {
  it('keeps appends in memory until the delay, then flush() writes them all as JSONL', async () => {
    const dir = fresh();
    const log = new PredictionLog(dir, 100, () => {}, undefined, { delayMs: 60_000 });
    const sent = [entry(0), entry(1), entry(2), entry(3)];
    log.append([sent[0]]);
    log.append([sent[1], sent[2]]);
    log.append([sent[3]]);
    // Let any write that was (wrongly) started at once reach the disk.
    await new Promise((r) => setTimeout(r, 50));
    expect(onDisk(dir)).toBeNull();
    // /drift reads this process's entries from memory, so they count before they are written.
    expect(await log.recent()).toEqual(sent);
    await log.flush();
    expect(onDisk(dir)).toEqual(sent);
  });

  it('writes on its own once the delay has passed', async () => {
    const dir = fresh();
    const log = new PredictionLog(dir, 100, () => {}, undefined, { delayMs: 20 });
    log.append([entry(7)]);
    const deadline = Date.now() + 5000;
    while (onDisk(dir) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(onDisk(dir)).toEqual([entry(7)]);
  });

  it('starts a write at once when the batch is full, without waiting for the delay', async () => {
    const dir = fresh();
    const log = new PredictionLog(dir, 100, () => {}, undefined, { delayMs: 60_000, lines: 3 });
    log.append([entry(0), entry(1)]);
    log.append([entry(2)]);
    const deadline = Date.now() + 5000;
    while ((onDisk(dir)?.length ?? 0) < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(onDisk(dir)).toEqual([entry(0), entry(1), entry(2)]);
    log.append([entry(3)]); // below the batch size again: waits
    await new Promise((r) => setTimeout(r, 50));
    expect(onDisk(dir)).toHaveLength(3);
    await log.flush();
    expect(onDisk(dir)?.map((e) => e.x.i)).toEqual([0, 1, 2, 3]);
  });

  it('rotates inside one batch so neither file exceeds maxLines, and a restart reads the window back', async () => {
    const dir = fresh();
    const log = new PredictionLog(dir, 5, () => {}, undefined, { delayMs: 60_000 });
    const sent = Array.from({ length: 12 }, (_, i) => entry(i));
    log.append(sent);
    await log.flush();
    // 5 lines, rotate, 5 lines, rotate, 2 lines: the old file holds lines 5–9, the current one 10–11.
    expect(onDisk(dir, LOG_FILE_OLD)).toEqual(sent.slice(5, 10));
    expect(onDisk(dir)).toEqual(sent.slice(10));
    const again = new PredictionLog(dir, 5);
    await again.restore();
    expect(again.entries()).toEqual(sent.slice(-5));
  });

  it('flushPredictionLogs() writes what every log of the process holds', async () => {
    const dirs = [fresh(), fresh()];
    const logs = dirs.map((d) => new PredictionLog(d, 100, () => {}, 'w1', { delayMs: 60_000 }));
    logs[0].append([entry(1)]);
    logs[1].append([entry(2), entry(3)]);
    await flushPredictionLogs();
    expect(onDisk(dirs[0], 'predictions-w1.jsonl')).toEqual([entry(1)]);
    expect(onDisk(dirs[1], 'predictions-w1.jsonl')).toEqual([entry(2), entry(3)]);
  });

  it('drops unwritten lines of a closed (removed) model instead of recreating its file', async () => {
    const dir = fresh();
    const log = new PredictionLog(dir, 100, () => {}, undefined, { delayMs: 60_000 });
    log.append([entry(1)]);
    log.closed = true;
    log.append([entry(2)]);
    await log.flush();
    await flushPredictionLogs();
    expect(onDisk(dir)).toBeNull();
  });

  it('reports a failed write and keeps logging later lines', async () => {
    const dir = join(fresh(), 'missing', 'dir');
    const errors: string[] = [];
    const log = new PredictionLog(dir, 100, (m) => errors.push(m), undefined, { delayMs: 60_000 });
    log.append([entry(1)]);
    await log.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(dir);
  });
});

describe('server close()', () => {
  let fx: Fixture;
  let artifact: ModelArtifact;
  beforeAll(async () => {
    fx = makeDist();
    artifact = await trainSynthetic('binary', 'gbdt', 5);
  });
  afterAll(() => fx.cleanup());

  it('writes every logged prediction before it resolves', async () => {
    const models = join(root, 'models');
    const server = await startServer({ distDir: fx.dist, port: 0, modelsDir: models, pollMs: 0 });
    await server.store.deploy('bin', artifact);
    const post = (body: string) =>
      new Promise<number>((resolve, reject) => {
        const r = request(
          {
            host: '127.0.0.1',
            port: server.port,
            path: '/v1/models/bin/predict',
            method: 'POST',
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        r.on('error', reject);
        r.end(body);
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        await post(
          JSON.stringify({
            rows: [
              { ...GOOD, x: i },
              { ...GOOD, x: i + 0.5 },
            ],
          }),
        ),
      );
    await server.close();
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    // Read straight after close(), with no flush of our own: the lines the last requests left batched
    // in memory must already be on disk.
    const lines = onDisk(join(models, 'bin'));
    expect(lines?.map((e) => e.x.x)).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]);
  });
});
