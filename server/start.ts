/**
 * Start a real HTTP server around createApp. Used by main.ts, the tests, the bench and the headless
 * runner; pass `port: 0` for an ephemeral port and read the URL back.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { type AppOptions, createApp } from './app.ts';
import { DEFAULT_HOST } from './config.ts';
import { flushPredictionLogs } from './store/monitor.ts';
import { ModelStore } from './store/store.ts';

export interface StartOptions extends Omit<AppOptions, 'bindHost' | 'distDir'> {
  /** Default: ./dist under the current directory. */
  distDir?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral): callers that want a fixed port (main.ts) say so. */
  port?: number;
  /** Open the model store in this directory (ignored when `store` is given). */
  modelsDir?: string;
  /** With modelsDir: how often the store re-reads the directory (ms, 0 = never; default 2000). */
  pollMs?: number;
  /** With modelsDir: prediction-log file tag of this process (workers sharing the directory). */
  logTag?: string;
  /** With modelsDir: called after this process deployed or removed a model (tell sibling workers). */
  onModelsChange?: (name: string) => void;
  /** With modelsDir: worker threads for GBDT explanations (server/explainPool.ts); default 0 (none). */
  explainThreads?: number;
}

export interface RunningServer {
  /** Browsable base URL with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  host: string;
  port: number;
  /** The model store the app serves. */
  store: ModelStore;
  /**
   * Stop accepting, let in-flight requests finish (up to a grace period), write the prediction-log
   * lines still batched in memory, then resolve.
   */
  close(): Promise<void>;
}

/** dist/ without index.html: the user has not built the app. */
export class DistMissingError extends Error {
  override name = 'DistMissingError';
  constructor(readonly distDir: string) {
    super(
      `No built app at ${join(distDir, 'index.html')}. Run \`npm run build\` first (or \`npm start\`, which builds and then serves).`,
    );
  }
}

/** How long close() waits for in-flight responses (a 34 MB wasm download) before cutting them. */
const CLOSE_GRACE_MS = 3000;

/** URL host for a bind address: wildcards are reached via loopback, IPv6 literals need brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '[::]') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const distDir = resolve(opts.distDir ?? 'dist');
  if (!existsSync(join(distDir, 'index.html'))) throw new DistMissingError(distDir);
  const {
    host = DEFAULT_HOST,
    port: wantedPort = 0,
    modelsDir,
    pollMs,
    logTag,
    onModelsChange,
    explainThreads,
    ...appOpts
  } = opts;
  const ownStore = !appOpts.store;
  const store =
    appOpts.store ??
    (modelsDir
      ? await ModelStore.open({
          dir: resolve(modelsDir),
          pollMs,
          logTag,
          onChange: onModelsChange,
          explainThreads,
        })
      : ModelStore.memory());
  const app = createApp({ ...appOpts, store, distDir, bindHost: host });

  const server = await new Promise<Server>((resolveListen, rejectListen) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: wantedPort }) as Server;
    // serve() calls listen() itself; bind failures (EADDRINUSE, EACCES) arrive as 'error'.
    const onError = (err: Error) => rejectListen(err);
    s.once('error', onError);
    s.once('listening', () => {
      s.off('error', onError);
      resolveListen(s);
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((done) => {
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        // Prediction-log lines are written in batches (store/monitor.ts): the last responses' lines may
        // still be waiting. Every log of the process, not just this store's: cheap, and a store passed
        // in by the caller has no other moment to flush before the process exits.
        void flushPredictionLogs().then(done);
      });
      if (ownStore) store.close();
      // Keep-alive sockets (every browser holds some) would otherwise keep close() waiting.
      server.closeIdleConnections();
    });
    return closing;
  };

  return { url: `http://${urlHost(host)}:${port}/`, host, port, store, close };
}
