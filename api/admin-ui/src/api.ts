/** Where the REST API is (same origin: the API serves this page). */
const API = '/api/v1';

/** The signed-in admin, as kept in sessionStorage (gone when the tab closes). */
export interface Signed {
  token: string;
  user: { id: string; username: string; admin: boolean };
  /** Whether Bull Board is mounted (config admin.bull_board). */
  bullBoard: boolean;
}

const KEY = 'plexichat_admin';

/** The stored sign-in, or null. */
export function signedIn(): Signed | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Signed;
  } catch {
    return null;
  }
}

/** Keeps (or, with null, forgets) the sign-in. */
export function remember(signed: Signed | null): void {
  if (signed) sessionStorage.setItem(KEY, JSON.stringify(signed));
  else sessionStorage.removeItem(KEY);
}

/** An error answer of the API: its status, `code`, message and the named fields of a 400. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The message with every offending field named (400 validation errors). */
  describe(): string {
    const errors = this.body.errors as Record<string, string> | undefined;
    if (!errors) return this.message;
    return `${this.message}: ${Object.entries(errors)
      .map(([field, why]) => `${field} ${why}`)
      .join('; ')}`;
  }
}

/** Called when the session ends under the page (401): the app goes back to the sign-in form. */
let onSignedOut: (reason: string) => void = () => {};
export function whenSignedOut(handler: (reason: string) => void): void {
  onSignedOut = handler;
}

/**
 * Calls the REST API as the signed-in admin (or with `token`); resolves with the parsed body
 * (undefined for 204), rejects with an ApiError. A 401 on the stored token signs the page out.
 */
export async function call<T>(
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<T> {
  const token = options.token ?? signedIn()?.token;
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${API}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { message: text };
  }
  if (res.ok) return body as T;
  const err = (body ?? {}) as Record<string, unknown>;
  const error = new ApiError(
    res.status,
    typeof err.code === 'string' ? err.code : 'http_error',
    typeof err.message === 'string' ? err.message : `HTTP ${res.status}`,
    err,
  );
  if (options.token === undefined && token) {
    if (res.status === 401) {
      remember(null);
      onSignedOut('Your session ended. Sign in again.');
    } else if (res.status === 403 && err.permission === 'INSTANCE_ADMIN') {
      // The admin flag was taken away meanwhile: this dashboard has nothing left to show; end the session.
      remember(null);
      void call('POST', '/auth/logout', { token }).catch(() => undefined);
      onSignedOut('This account is no longer an admin of this instance.');
    }
  }
  throw error;
}

/** The message to show for a failed call. */
export function explain(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 429) {
      const wait = Number(err.body.retry_after);
      return Number.isFinite(wait) ? `Too many attempts: try again in ${Math.ceil(wait)} s.` : err.message;
    }
    return err.describe();
  }
  return err instanceof Error ? err.message : String(err);
}
