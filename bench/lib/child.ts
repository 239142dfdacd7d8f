import type { ChildProcess } from 'node:child_process';

/**
 * SIGTERM a bench's child server and resolve once it has exited. Waiting matters: a server's graceful
 * close flushes its batched prediction log into the models folder, so removing that folder before the
 * exit fails with ENOTEMPTY; and the next measured run should not share the cores with a shutdown.
 */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
