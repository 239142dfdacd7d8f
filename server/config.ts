/**
 * Server configuration from the environment and the command line. Kept apart from the app so tests,
 * the bench and main.ts build the same config, and so a bad flag fails before anything listens.
 *
 * Env: HOST (127.0.0.1), PORT (8787), BENCHTOP_DIST (./dist), BENCHTOP_ALLOWED_HOSTS (comma list);
 * model server (loadModelConfig): BENCHTOP_MODELS, BENCHTOP_TOKEN, BENCHTOP_DEFAULT_MODEL, BENCHTOP_CORS_ORIGINS,
 * BENCHTOP_MODELS_POLL_MS, BENCHTOP_WORKERS, BENCHTOP_EXPLAIN_THREADS, BENCHTOP_INSTANCE.
 * Flags `--host` and `--port` (either `--port 9000` or `--port=9000`) override the env.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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

/** Model-server settings, all from the environment (kept apart from `loadConfig`'s host/port/dist). */
export interface ModelServerConfig {
  /** Absolute path of the model store (BENCHTOP_MODELS, default ./models). */
  modelsDir: string;
  /** BENCHTOP_TOKEN, or undefined (main.ts then generates one and prints it). */
  token?: string;
  /** BENCHTOP_DEFAULT_MODEL: the model answering POST /predict. */
  defaultModel?: string;
  /** BENCHTOP_CORS_ORIGINS: comma list of extra origins (`https://app.example:8443`). */
  corsOrigins: string[];
  /** BENCHTOP_MODELS_POLL_MS: re-read the models directory this often for deploys by other processes (0 = never). Default 2000. */
  pollMs: number;
  /** BENCHTOP_WORKERS: server processes sharing the port (node:cluster); 1 = this process alone. Default 1. */
  workers: number;
  /**
   * BENCHTOP_EXPLAIN_THREADS: worker threads per server process computing GBDT explanations
   * (server/explainPool.ts); 0 = in the server thread. Default: the cores a process has beyond its
   * own, `⌊cores / workers⌋ − 1`, at most 4 (2 cores, 1 worker: 1 thread; 2 workers: none).
   */
  explainThreads: number;
  /**
   * BENCHTOP_INSTANCE: this instance's name on a models directory shared with other instances; its
   * prediction logs are `predictions-<instance>.jsonl` (with workers: `-<instance>-w<n>`).
   */
  instance?: string;
}

/** A whole number in [min, max] from the environment, or the default when unset or empty. */
function envInt(raw: string | undefined, name: string, min: number, max: number, def: number): number {
  if (raw === undefined || raw.trim() === '') return def;
  if (!/^\d{1,9}$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number ${min}–${max}, got "${raw}"`);
  }
  return Number(raw);
}

export function loadModelConfig(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
  cores: number = availableParallelism(),
): ModelServerConfig {
  const token = env.BENCHTOP_TOKEN?.trim();
  if (token !== undefined && token !== '' && (token.length < 16 || /\s/.test(token))) {
    throw new ConfigError('BENCHTOP_TOKEN must be at least 16 characters without spaces');
  }
  const defaultModel = env.BENCHTOP_DEFAULT_MODEL?.trim();
  if (defaultModel && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(defaultModel)) {
    throw new ConfigError(`BENCHTOP_DEFAULT_MODEL "${defaultModel}" is not a valid model name`);
  }
  const instance = env.BENCHTOP_INSTANCE?.trim();
  if (instance && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(instance)) {
    throw new ConfigError(`BENCHTOP_INSTANCE "${instance}" must be 1–64 of a-z, 0-9, _ and -`);
  }
  const corsOrigins = (env.BENCHTOP_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter((o) => o.length > 0);
  for (const o of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/i.test(o)) {
      throw new ConfigError(`BENCHTOP_CORS_ORIGINS entry "${o}" must be an origin like https://host:port`);
    }
  }
  const workers = envInt(env.BENCHTOP_WORKERS, 'BENCHTOP_WORKERS', 1, 64, 1);
  return {
    modelsDir: resolve(cwd, env.BENCHTOP_MODELS || 'models'),
    token: token || undefined,
    defaultModel: defaultModel || undefined,
    corsOrigins,
    pollMs: envInt(env.BENCHTOP_MODELS_POLL_MS, 'BENCHTOP_MODELS_POLL_MS', 0, 3_600_000, 2000),
    workers,
    explainThreads: envInt(
      env.BENCHTOP_EXPLAIN_THREADS,
      'BENCHTOP_EXPLAIN_THREADS',
      0,
      64,
      Math.max(0, Math.min(4, Math.floor(cores / workers) - 1)),
    ),
    instance: instance || undefined,
  };
}
