/**
 * Server configuration from the environment and the command line. Kept apart from the app so tests,
 * the bench and main.ts build the same config, and so a bad flag fails before anything listens.
 *
 * Env: HOST (127.0.0.1), PORT (8787), BENCHTOP_DIST (./dist), BENCHTOP_ALLOWED_HOSTS (comma list).
 * Flags `--host` and `--port` (either `--port 9000` or `--port=9000`) override the env.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface ServerConfig {
  /** Interface to bind. Loopback by default: Benchtop is a local tool, not a public service. */
  host: string;
  /** TCP port; 0 asks the OS for a free one (tests, bench). */
  port: number;
  /** Absolute path of the built app (vite's output). */
  distDir: string;
  /** Extra Host header values to accept besides loopback names (see hostCheck.ts). */
  allowedHosts: string[];
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8787;

/** A configuration mistake the user can fix; main.ts prints its message without a stack. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parsePort(raw: string, source: string): number {
  // Number('') is 0 and Number('1e3') is 1000: accept plain decimal digits only.
  if (!/^\d{1,5}$/.test(raw.trim()))
    throw new ConfigError(`${source} must be a port number 0–65535, got "${raw}"`);
  const port = Number(raw.trim());
  if (port > 65535) throw new ConfigError(`${source} must be a port number 0–65535, got "${raw}"`);
  return port;
}

/** Split a comma list of host names, trimmed and lower-cased (Host matching is case-insensitive). */
export function parseHostList(raw: string | undefined): string[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h.length > 0);
}

interface Flags {
  host?: string;
  port?: string;
}

function parseFlags(argv: readonly string[]): Flags {
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--(host|port)(?:=(.*))?$/.exec(arg);
    if (!m) throw new ConfigError(`unknown argument "${arg}" (accepted: --host <addr>, --port <n>)`);
    const name = m[1] as keyof Flags;
    let value = m[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new ConfigError(`--${name} needs a value`);
      i++;
    }
    flags[name] = value;
  }
  return flags;
}

/**
 * Build the config. `argv` is the arguments after the script (process.argv.slice(2)); `cwd` anchors a
 * relative BENCHTOP_DIST.
 */
export function loadConfig(
  argv: readonly string[] = [],
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): ServerConfig {
  const flags = parseFlags(argv);
  const host = (flags.host ?? env.HOST ?? DEFAULT_HOST).trim();
  if (host === '') throw new ConfigError('host must not be empty');
  const port =
    flags.port !== undefined
      ? parsePort(flags.port, '--port')
      : env.PORT !== undefined && env.PORT !== ''
        ? parsePort(env.PORT, 'PORT')
        : DEFAULT_PORT;
  return {
    host,
    port,
    distDir: resolve(cwd, env.BENCHTOP_DIST || 'dist'),
    allowedHosts: parseHostList(env.BENCHTOP_ALLOWED_HOSTS),
  };
}

/** The app version from package.json, for /healthz. Read once; 'unknown' if it cannot be read. */
export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
