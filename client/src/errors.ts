import type { components } from './generated/schema.js';

/** The error body every Plexichat route answers with (API.md, Conventions). */
export type ErrorBody = components['schemas']['Error'] & { retry_after?: number; global?: boolean };

/**
 * A request the API refused: the HTTP status, the body's `code` (snake_case, e.g. `unknown_channel`,
 * `missing_permissions`, `validation_failed`), its message, and every offending field in `errors`.
 */
export class PlexichatError extends Error {
  override readonly name = 'PlexichatError';
  /** HTTP status (4xx or 5xx). */
  readonly status: number;
  /** The machine-readable reason, from the body's `code`. */
  readonly code: string;
  /** Field name -> why it was refused (400 validation errors); empty when the body named none. */
  readonly errors: Readonly<Record<string, string>>;
  /** Seconds to wait before trying again (429). */
  readonly retryAfter: number | null;
  /** What to quote when reporting a 500. */
  readonly requestId: string | null;
  /** `"POST /channels/{channel_id}/messages"`: which call failed. */
  readonly route: string;

  constructor(status: number, body: ErrorBody, route: string) {
    super(`${route}: ${status} ${body.code}: ${body.message}`);
    this.status = status;
    this.code = body.code;
    this.errors = body.errors ?? {};
    this.retryAfter = typeof body.retry_after === 'number' ? body.retry_after : null;
    this.requestId = body.request_id ?? null;
    this.route = route;
  }
}

/** Whether `err` is an API error, optionally with this `code`. */
export function isPlexichatError(err: unknown, code?: string): err is PlexichatError {
  return err instanceof PlexichatError && (code === undefined || err.code === code);
}

/** Reads an error response into its body, whatever the server (or a proxy in front of it) sent. */
export function errorBodyOf(status: number, text: string): ErrorBody {
  try {
    const parsed = JSON.parse(text) as Partial<ErrorBody> | null;
    if (parsed && typeof parsed.code === 'string' && typeof parsed.message === 'string') {
      return parsed as ErrorBody;
    }
  } catch {
    // not JSON: a proxy's page, described below
  }
  return { code: `http_${status}`, message: text.slice(0, 200) || `HTTP ${status}` };
}
