/**
 * Native peers run with Debian's Python (/usr/bin/python3, not a pyenv one: Debian packages such as
 * python3-sklearn install there). `ensurePython` installs missing Debian packages once, and says why
 * the peers are unavailable if it cannot.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { BenchContext } from './types.ts';

export const PYTHON = '/usr/bin/python3';

/** null when `modules` import; else a one-line reason. Installs `debPackages` with apt-get if needed. */
export function ensurePython(ctx: BenchContext, modules: string[], debPackages: string[]): string | null {
  const check = (): boolean =>
    spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' }).status === 0;
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  if (check()) return null;
  ctx.log(`installing ${debPackages.join(' ')} with apt-get`);
  const apt = spawnSync('apt-get', ['install', '-y', ...debPackages], { encoding: 'utf8', timeout: 600_000 });
  if (apt.status !== 0 || !check()) {
    const why = (apt.stderr ?? apt.error?.message ?? '').slice(-300);
    return `python peers unavailable (apt-get install ${debPackages.join(' ')} failed: ${why})`;
  }
  return null;
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
