/**
 * `npm start` / `npm run serve`: serve the built app on 127.0.0.1:8787 (see config.ts for overrides).
 */
import { generateToken } from './auth.ts';
import { ConfigError, loadConfig, loadModelConfig } from './config.ts';
import { DistMissingError, startServer } from './start.ts';

async function main(): Promise<void> {
  const config = loadConfig(process.argv.slice(2));
  const models = loadModelConfig();
  const token = models.token ?? generateToken();
  const server = await startServer({
    distDir: config.distDir,
    host: config.host,
    port: config.port,
    allowedHosts: config.allowedHosts,
    modelsDir: models.modelsDir,
    token,
    defaultModel: models.defaultModel,
    corsOrigins: models.corsOrigins,
    requestLog: 'stdout',
  });
  console.log(`Benchtop running at ${server.url}`);
  console.log(
    `Model API: ${server.url}v1/models (${server.store.list().length} model(s) in ${models.modelsDir}); OpenAPI at ${server.url}openapi.json`,
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
    server.close().then(
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
  } else if (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') {
    console.error(
      `benchtop: ${err.message}. Another server is using that port; pick one with --port or PORT.`,
    );
  } else {
    console.error('benchtop: failed to start', err);
  }
  process.exit(1);
});
