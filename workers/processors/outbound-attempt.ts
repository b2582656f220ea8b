import { performance } from 'node:perf_hooks';
import type { Runtime } from '../../shared/runtime.js';
import { safeFetch, SafeFetchError, type SafeFetchErrorCode } from '../../shared/net/safe-fetch.js';

/**
 * One signed POST to a receiver (an event webhook or an application's interactions endpoint) and
 * how it went: the one place outbound deliveries are sent and judged, whatever queued them.
 */

/** How one attempt went. */
export interface AttemptOutcome {
  /** 2xx. */
  ok: boolean;
  /** Worth another attempt: 408, 429, 5xx, timeouts, connection errors. */
  retryable: boolean;
  statusCode: number | null;
  error: string | null;
  /** Why the fetch itself failed (no answer, or an unreadable one); null when the receiver answered. */
  errorCode: SafeFetchErrorCode | null;
  latencyMs: number | null;
  /** A 429/503's Retry-After, in ms (uncapped). */
  retryAfterMs: number | null;
  /** The answer's body (only when asked for with `readAnswer`). */
  answer: string | null;
}

/** What to POST, where, and how long to wait for it. */
export interface AttemptRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** The receiver must have answered (and, with readAnswer, sent its body) within this. */
  timeoutMs: number;
  /** Most bytes of the answer read. */
  maxBytes: number;
  /** Keep the answer's body (else only its status matters, and a longer one is cut short quietly). */
  readAnswer: boolean;
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP date names its day and month ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone
  // would take "-5" for a year.
  const date = /^[A-Za-z]{3},/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * The wait before the attempt after attempt `attempt` failed: `base` doubled per attempt made,
 * ±20% jitter (so receivers that failed together are not retried together), at most `max`.
 */
export function jitteredBackoff(base: number, max: number, attempt: number, random = Math.random): number {
  const exponential = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.min(max, Math.round(exponential * (0.8 + 0.4 * random())));
}

/** Sorts a receiver's answer: 2xx delivered; 408, 429 and 5xx retried; anything else refused for good. */
export function classifyStatus(status: number): Pick<AttemptOutcome, 'ok' | 'retryable'> {
  if (status >= 200 && status <= 299) return { ok: true, retryable: false };
  return { ok: false, retryable: status === 408 || status === 429 || status >= 500 };
}

/** An error as the delivery log keeps it (500 characters at most). */
export function clip(text: string): string {
  return text.length > 500 ? `${text.slice(0, 499)}…` : text;
}

/** POSTs `request` through the SSRF-safe fetcher, never following a redirect. Never throws. */
export async function postAttempt(rt: Runtime, request: AttemptRequest): Promise<AttemptOutcome> {
  const { outbound } = rt.config;
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    const res = await safeFetch(request.url, {
      outbound: {
        ...outbound,
        total_timeout_ms: request.timeoutMs,
        connect_timeout_ms: Math.min(outbound.connect_timeout_ms, request.timeoutMs),
      },
      method: 'POST',
      headers: request.headers,
      body: request.body,
      maxBytes: request.maxBytes,
      truncate: !request.readAnswer,
      requireOk: false,
      // A redirect is not followed: the body would become a GET to wherever it points.
      maxRedirects: 0,
    });
    let answer: string | null = null;
    if (request.readAnswer) answer = (await res.read()).toString('utf8');
    else res.close();
    const latencyMs = elapsed();
    const { ok, retryable } = classifyStatus(res.status);
    return {
      ok,
      retryable,
      statusCode: res.status,
      error: ok ? null : `HTTP ${res.status}`,
      errorCode: null,
      latencyMs,
      retryAfterMs:
        res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers['retry-after']) : null,
      answer,
    };
  } catch (err) {
    const code = err instanceof SafeFetchError ? err.code : 'fetch_failed';
    const message = code === 'too_many_redirects' ? 'redirects are not followed' : (err as Error).message;
    return {
      ok: false,
      // The receiver may come back; a URL that is refused (private address, bad URL) or redirects will not.
      retryable: code === 'timeout' || code === 'fetch_failed',
      statusCode: null,
      error: clip(`${code}: ${message}`),
      errorCode: code,
      latencyMs: code === 'timeout' ? elapsed() : null,
      retryAfterMs: null,
      answer: null,
    };
  }
}
