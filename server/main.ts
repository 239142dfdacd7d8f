/**
 * `npm start` / `npm run serve`: serve the built app on 127.0.0.1:8787 (see config.ts for overrides).
 * BENCHTOP_WORKERS=N (N > 1) runs N worker processes on the one port (server/cluster.ts).
 */
import cluster from 'node:cluster';
import { generateToken } from './auth.ts';
import { startPrimary, startWorker, WorkerStartError } from './cluster.ts';
import { ConfigError, loadConfig, loadModelConfig } from './config.ts';
import { DistMissingError, type StartOptions, startServer } from './start.ts';

async function main(): Promise<void> {
  const config = loadConfig(process.argv.slice(2));
  const models = loadModelConfig();
  const token = models.token ?? generateToken();
  const opts: StartOptions = {
    distDir: config.distDir,
    host: config.host,
    port: config.port,
    allowedHosts: config.allowedHosts,
    modelsDir: models.modelsDir,
    pollMs: models.pollMs,
    explainThreads: models.explainThreads,
    logTag: models.instance,
    token,
    defaultModel: models.defaultModel,
    corsOrigins: models.corsOrigins,
    requestLog: 'stdout',
  };
  if (models.workers > 1 && cluster.isWorker) {
    // The primary printed everything and handles signals for the group.
    await startWorker(opts);
    return;
  }

  let url: string;
  let modelCount: number;
  let close: () => Promise<void>;
  if (models.workers > 1) {
    // Every worker gets the same token (the generated one, or BENCHTOP_TOKEN as it is).
    const primary = await startPrimary(models.workers, { BENCHTOP_TOKEN: token });
    ({ url } = primary);
    modelCount = primary.models;
    close = primary.stop;
  } else {
    const server = await startServer(opts);
    url = server.url;
    modelCount = server.store.list().length;
    close = server.close;
  }
  console.log(`Benchtop running at ${url}${models.workers > 1 ? ` (${models.workers} workers)` : ''}`);
  console.log(
    `Model API: ${url}v1/models (${modelCount} model(s) in ${models.modelsDir}); OpenAPI at ${url}openapi.json`,
  );
  console.log(
    models.explainThreads > 0
      ? `Explanations: ${models.explainThreads} worker thread(s) per process (BENCHTOP_EXPLAIN_THREADS)`
      : 'Explanations: in the event loop (BENCHTOP_EXPLAIN_THREADS=0)',
  );
  // Printed once. A token from BENCHTOP_TOKEN is not echoed: whoever set it has it, and logs keep it out.
  console.log(
    models.token
      ? 'Deploy token: from BENCHTOP_TOKEN'
      : `Deploy token (this run only; set BENCHTOP_TOKEN to fix one): ${token}`,
  );
  if (config.host !== '127.0.0.1' && config.host !== 'localhost' && config.host !== '::1') {
    console.log(
      `Listening on ${config.host}. Only loopback names and ${config.allowedHosts.join(', ') || '(no extra hosts)'} are accepted as Host; set BENCHTOP_ALLOWED_HOSTS to add the names you browse with.`,
    );
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C means "now".
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal}: shutting down…`);
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DistMissingError) {
    console.error(`benchtop: ${err.message}`);
  } else if (
    (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') ||
    (err instanceof WorkerStartError && err.code === 'EADDRINUSE')
  ) {
    console.error(
      `benchtop: ${err.message}. Another server is using that port; pick one with --port or PORT.`,
    );
  } else if (err instanceof WorkerStartError) {
    console.error(`benchtop: ${err.message}`);
  } else {
    console.error('benchtop: failed to start', err);
  }
  process.exit(1);
});
