/**
 * Typed API errors. Every role throws these; the API maps them to the error body of API.md in one
 * place (api/middleware/error-handler.ts).
 */
export type FieldErrors = Record<string, string>;

/** An error with an HTTP status and a snake_case code that clients can branch on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldErrors,
    /** Extra top-level fields of the error body (e.g. retry_after). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 400: the request is malformed; `errors` names every offending field. */
export class ValidationError extends ApiError {
  constructor(errors: FieldErrors, message = 'Invalid request') {
    super(400, 'validation_error', message, errors);
  }
}

/** 400 for a body that is not JSON at all. */
export class MalformedJsonError extends ApiError {
  constructor(detail: string) {
    super(400, 'malformed_json', `Request body is not valid JSON: ${detail}`);
  }
}

/** 401: no token, or a token that is not (or no longer) valid. */
export class UnauthorizedError extends ApiError {
  constructor(message = 'Authentication required') {
    super(401, 'unauthorized', message);
  }
}

/** 403: authenticated but missing a permission, which is named. */
export class MissingPermissionError extends ApiError {
  constructor(permission: string) {
    super(403, 'missing_permission', `Missing permission: ${permission}`, undefined, { permission });
  }
}

/** The permission named when a route is for instance admins only (not a server permission bit). */
export const INSTANCE_ADMIN = 'INSTANCE_ADMIN';

/** 403 for actions only the server owner may take. */
export class OwnerOnlyError extends ApiError {
  constructor(action: string) {
    super(403, 'owner_only', `Only the server owner can ${action}`);
  }
}

/** 404: unknown object, or one the caller may not see (never 403 for those). */
export class NotFoundError extends ApiError {
  constructor(what = 'resource') {
    super(404, `unknown_${what.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`, `Unknown ${what}`);
  }
}

/** 409: the request conflicts with existing state (a taken name, a duplicate). */
export class ConflictError extends ApiError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

/** 413: body, file or message too large. */
export class PayloadTooLargeError extends ApiError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', `Payload too large (limit ${limitBytes} bytes)`, undefined, {
      limit_bytes: limitBytes,
    });
  }
}

/** 413: the caller's unsent uploads would pass media.max_pending_bytes. */
export class PendingUploadsLimitError extends ApiError {
  constructor(limitBytes: number, pendingBytes: number) {
    super(
      413,
      'pending_uploads_limit',
      `Uploads not yet sent in a message may total at most ${limitBytes} bytes (media.max_pending_bytes); ` +
        `${pendingBytes} are pending: send or wait for some to expire first`,
      { files: `would pass the pending upload limit of ${limitBytes} bytes` },
      { limit_bytes: limitBytes, pending_bytes: pendingBytes },
    );
  }
}

/** 405: the path is a route, but not for this method; `allow` (its methods) becomes the Allow header. */
export class MethodNotAllowedError extends ApiError {
  constructor(
    method: string,
    path: string,
    readonly allow: string[],
  ) {
    super(405, 'method_not_allowed', `${method} is not allowed on ${path}; allowed: ${allow.join(', ')}`);
  }
}

/** 415: a content type this route does not accept. */
export class UnsupportedMediaTypeError extends ApiError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
  }
}

/** 429: rate limited; `retry_after` is seconds (float). */
export class RateLimitedError extends ApiError {
  constructor(
    readonly retryAfter: number,
    readonly global = false,
  ) {
    super(429, 'rate_limited', 'You are being rate limited', undefined, { retry_after: retryAfter, global });
  }
}

/** 503: a dependency (database, Redis, queues) is unavailable; `retryAfter` seconds become Retry-After. */
export class ServiceUnavailableError extends ApiError {
  constructor(message: string, retryAfter?: number) {
    super(
      503,
      'service_unavailable',
      message,
      undefined,
      retryAfter === undefined ? undefined : { retry_after: retryAfter },
    );
  }
}

/** Seconds a client is told to wait while the database is down: a restart usually takes a few. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** 503 while Postgres cannot be reached (down, restarting, refusing connections). */
export class DatabaseUnavailableError extends ServiceUnavailableError {
  constructor() {
    super('The database is unavailable, try again shortly', DATABASE_RETRY_AFTER_SECONDS);
  }
}

/** When a client told send_pending retries: soon, as the retry itself waits for the message again. */
export const SEND_PENDING_RETRY_AFTER_SECONDS = 1;

/**
 * 503: a message send was accepted (queued, and stored exactly once) but not stored within
 * `queues.send_wait_ms`. The client retries after `retry_after` seconds with the same nonce, which
 * answers the stored message; `id` is the id it will have.
 */
export class SendPendingError extends ApiError {
  constructor(pending: { id: string; channel_id: string; nonce: string | null }, waitedMs: number) {
    super(
      503,
      'send_pending',
      pending.nonce === null
        ? `The message is queued but was not stored within ${waitedMs} ms; it will be stored once and arrive as ` +
            'MESSAGE_CREATE with this id. Sending it again without a nonce sends a second message'
        : `The message is queued but was not stored within ${waitedMs} ms; retry with the same nonce to get it ` +
            '(it is stored once)',
      undefined,
      { retry_after: SEND_PENDING_RETRY_AFTER_SECONDS, ...pending },
    );
  }
}

/** 504: an application did not give its first answer to an interaction in time; nothing was posted. */
export class InteractionTimeoutError extends ApiError {
  constructor(deadlineMs: number) {
    super(504, 'interaction_timeout', `The application did not respond within ${deadlineMs} ms`, undefined, {
      deadline_ms: deadlineMs,
    });
  }
}

/** 502: an application's interactions endpoint refused the interaction or answered nonsense. */
export class InteractionFailedError extends ApiError {
  constructor(reason: string) {
    super(502, 'interaction_failed', `The application could not handle the command: ${reason}`);
  }
}

/**
 * 503: this process holds no snowflake worker-id lease (Redis unreachable, or its lease was taken),
 * so it mints no ids rather than risk a duplicate; another process or a retry (after `retryAfter`
 * seconds, when this one next tries to lease a pair) will do.
 */
export class IdsUnavailableError extends ApiError {
  constructor(retryAfter: number) {
    super(
      503,
      'ids_unavailable',
      'This server process cannot issue IDs right now; retry shortly',
      undefined,
      {
        retry_after: retryAfter,
      },
    );
  }
}
