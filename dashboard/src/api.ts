/**
 * Talking to the admin API from the browser: same-origin fetches carrying the session cookie; every
 * change sends JSON with the session's CSRF token (the browser adds this page's Origin itself).
 */

export type Role = 'viewer' | 'operator' | 'admin' | 'metrics';

export interface Session {
  readonly name: string;
  readonly role: Role;
  readonly csrf: string | null;
  readonly expires: string | null;
}

let csrf: string | null = null;

/** An answer that is not 2xx, with the API's error code and message. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function handle<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const e = (body ?? {}) as { error?: string; message?: string };
    throw new ApiError(res.status, e.error ?? `http_${res.status}`, e.message ?? `HTTP ${res.status}`);
  }
  return body as T;
}

/** GET a JSON view. */
export function get<T>(path: string): Promise<T> {
  return fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then((r) => handle<T>(r));
}

/** A change: POST / DELETE with a JSON body and the CSRF token. */
export function send<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (csrf !== null) headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, { method, credentials: 'same-origin', headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }).then((r) => handle<T>(r));
}

/** The current session, or null when not logged in. */
export async function currentSession(): Promise<Session | null> {
  try {
    const s = await get<Session>('/session');
    csrf = s.csrf;
    return s;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

/** Logs in with a token; the session cookie is set by the answer. */
export async function login(token: string): Promise<Session> {
  const s = await send<Session>('POST', '/login', { token });
  csrf = s.csrf;
  return s;
}

export async function logout(): Promise<void> {
  await send('POST', '/logout');
  csrf = null;
}

/** True when the role may change things (ban, level, rules). */
export function canOperate(role: Role | undefined): boolean {
  return role === 'operator' || role === 'admin';
}
