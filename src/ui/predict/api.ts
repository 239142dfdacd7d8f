/**
 * The companion server's model API, as the browser calls it (same origin by default: `npm start`
 * serves the app and the API). The deploy token lives in localStorage only — never in the notebook
 * JSON or a share link.
 */
import type { ModelArtifact } from '../../core/ml/artifact.ts';

const TOKEN_KEY = 'benchtop.deployToken';

export function loadToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveToken(token: string): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: the token lives for this page only */
  }
}

/** The server's origin: this page's. */
export const serverOrigin = (): string =>
  typeof location !== 'undefined' ? location.origin : 'http://127.0.0.1:8787';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const STATUS_HINT: Record<number, string> = {
  401: 'No token sent: enter the server’s BENCHTOP_TOKEN.',
  403: 'Wrong token: it does not match the server’s BENCHTOP_TOKEN.',
  404: 'Not found on this server.',
  413: 'Too large for the server.',
};

/** A failed response → ApiError carrying the server's own message (`{error: {code, message}}`). */
async function failure(res: Response): Promise<ApiError> {
  let msg = '';
  let code: string | undefined;
  try {
    const j = (await res.json()) as {
      error?: { code?: string; message?: string; fields?: { field: string; problem: string }[] };
    };
    code = j.error?.code;
    msg = j.error?.message ?? '';
    const fields = j.error?.fields ?? [];
    if (fields.length) msg += ` (${fields.map((f) => `${f.field}: ${f.problem}`).join('; ')})`;
  } catch {
    msg = res.statusText;
  }
  const hint = STATUS_HINT[res.status];
  return new ApiError(
    `${res.status}${code ? ` ${code}` : ''}: ${msg || res.statusText}${hint && !msg.includes('token') ? ` — ${hint}` : ''}`,
    res.status,
    code,
  );
}

async function call(url: string, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new ApiError(
      `Could not reach the model server at ${new URL(url).origin} (${(e as Error).message}). Start it with \`npm start\`.`,
      0,
    );
  }
  if (!res.ok) throw await failure(res);
  return res;
}

export async function deployArtifact(
  artifact: ModelArtifact,
  opts: { name: string; token: string; example?: Record<string, unknown>; origin?: string },
): Promise<{ name: string; version: number }> {
  const body = JSON.stringify(opts.example ? { ...artifact, example: opts.example } : artifact);
  const res = await call(`${opts.origin ?? serverOrigin()}/v1/models?name=${encodeURIComponent(opts.name)}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
    },
    body,
  });
  return (await res.json()) as { name: string; version: number };
}

/**
 * Deploys an artifact that is already JSON text (e.g. the label-audit model the audit worker serialises,
 * src/core/audit/artifact.ts), so a large model is not parsed and re-serialised on the main thread.
 */
export async function deployArtifactJson(
  json: string,
  opts: { name: string; token: string; origin?: string },
): Promise<{ name: string; version: number }> {
  const res = await call(`${opts.origin ?? serverOrigin()}/v1/models?name=${encodeURIComponent(opts.name)}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
    },
    body: json,
  });
  return (await res.json()) as { name: string; version: number };
}

export interface DriftFeature {
  feature: string;
  kind: string;
  psi?: number;
  js?: number;
  flag?: 'ok' | 'warn' | 'alert' | 'insufficient-data';
  bins?: { label: string; expected: number; actual: number }[];
  train?: Record<string, number>;
  recent?: Record<string, number>;
}

export interface DriftReport {
  model: string;
  version: number;
  rows: number;
  window: { from: string | null; to: string | null; maxRows: number };
  thresholds: { psiWarn: number; psiAlert: number; minRows: number };
  features: DriftFeature[];
  prediction: DriftFeature;
  flag: 'ok' | 'warn' | 'alert' | 'insufficient-data';
}

export async function fetchDrift(name: string, origin = serverOrigin()): Promise<DriftReport> {
  const res = await call(`${origin}/v1/models/${encodeURIComponent(name)}/drift`, { cache: 'no-store' });
  return (await res.json()) as DriftReport;
}

export async function listModels(origin = serverOrigin()): Promise<{ name: string; version: number }[]> {
  const res = await call(`${origin}/v1/models`, { cache: 'no-store' });
  return ((await res.json()) as { models: { name: string; version: number }[] }).models;
}
