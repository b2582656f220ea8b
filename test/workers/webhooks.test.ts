import { summarize } from '../../shared/integrations/outgoing-events.js';
import { testConfig } from '../helpers/config.js';
import { backoffDelay, classifyStatus, parseRetryAfter } from '../../workers/processors/webhook-delivery.js';

describe('the retry schedule', () => {
  const config = testConfig({ webhooks: { backoff_base_ms: 1000, backoff_max_ms: 10_000 } });

  it('doubles per attempt with ±20% jitter, capped at backoff_max_ms', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(config, n, () => 0.5))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(config, 1, () => 0)).toBe(800);
    expect(backoffDelay(config, 1, () => 0.999999)).toBe(1200);
    // The cap holds with the jitter too.
    expect(backoffDelay(config, 5, () => 0.999999)).toBe(10_000);
    expect(backoffDelay(config, 30, () => 0.5)).toBe(10_000);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(config, 3);
      expect(d).toBeGreaterThanOrEqual(3200);
      expect(d).toBeLessThanOrEqual(4800);
    }
  });

  it('the defaults: 8 attempts, 30 s doubling, at most an hour apart', () => {
    const defaults = testConfig();
    expect(defaults.webhooks).toMatchObject({
      max_attempts: 8,
      backoff_base_ms: 30_000,
      backoff_max_ms: 3_600_000,
    });
    const waits = [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(defaults, n, () => 0.5) / 1000);
    expect(waits).toEqual([30, 60, 120, 240, 480, 960, 1920]);
  });

  it('retries 408, 429 and 5xx; delivers on 2xx; gives up on other answers', () => {
    expect(classifyStatus(200)).toEqual({ ok: true, retryable: false });
    expect(classifyStatus(204)).toEqual({ ok: true, retryable: false });
    for (const s of [408, 429, 500, 502, 503, 504])
      expect(classifyStatus(s)).toEqual({ ok: false, retryable: true });
    for (const s of [301, 400, 401, 403, 404, 410, 422])
      expect(classifyStatus(s)).toEqual({ ok: false, retryable: false });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('the subscription summary', () => {
  it('merges event types and channel filters; an unfiltered subscription takes every channel', () => {
    expect(summarize([])).toEqual({});
    expect(
      summarize([
        { events: ['MESSAGE_CREATE', 'CHANNEL_CREATE'], channel_ids: ['1', '2'] },
        { events: ['MESSAGE_CREATE'], channel_ids: ['3'] },
        { events: ['CHANNEL_CREATE'], channel_ids: null },
        { events: ['MESSAGE_DELETE'], channel_ids: ['4'] },
      ]),
    ).toEqual({ MESSAGE_CREATE: ['1', '2', '3'], CHANNEL_CREATE: null, MESSAGE_DELETE: ['4'] });
    expect(
      summarize([
        { events: ['MESSAGE_CREATE'], channel_ids: null },
        { events: ['MESSAGE_CREATE'], channel_ids: ['9'] },
      ]),
    ).toEqual({ MESSAGE_CREATE: null });
  });
});
