/**
 * `npm start` / `npm run serve`: serve the built app on 127.0.0.1:8787 (see config.ts for overrides).
 */
import { ConfigError, loadConfig } from './config.ts';
import { DistMissingError, startServer } from './start.ts';

async function main(): Promise<void> {
  const config = loadConfig(process.argv.slice(2));
  const server = await startServer({
    distDir: config.distDir,
    host: config.host,
    port: config.port,
    allowedHosts: config.allowedHosts,
  });
  console.log(`Benchtop running at ${server.url}`);
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
