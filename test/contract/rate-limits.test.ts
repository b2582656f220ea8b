/**
 * The contract sweep of API.md's rate limits: the headers on limited routes, and a 429 with
 * retry_after and Retry-After. See harness.ts for what the sweep is and how to run it against
 * another instance.
 */
import type { ApiResponse } from '../helpers/accounts.js';
import { makeServer, register, send } from './fixtures.js';
import { call, formatsEverywhere, sweep } from './harness.js';
import { rateLimitHeaders } from './shapes.js';

describe('rate limits', () => {
  sweep('headers on limited routes; 429 with retry_after and Retry-After', async (s) => {
    const owner = await register(s);
    const res = await call('GET', '/users/@me', owner);
    rateLimitHeaders(s, res, 'GET /users/@me');
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    s.ok(
      Number.isFinite(reset) && Math.abs(reset - Date.now() / 1000) < 3600,
      `X-RateLimit-Reset ${res.headers.get('x-ratelimit-reset')} is not unix seconds`,
    );
    s.ok(
      /^\d+(\.\d+)?$/.test(res.headers.get('x-ratelimit-reset-after') ?? ''),
      'X-RateLimit-Reset-After is seconds',
    );
    s.ok(/^\d+\.\d+$/.test(res.headers.get('x-ratelimit-reset') ?? ''), 'X-RateLimit-Reset is a float');
    s.ok(
      Number(res.headers.get('x-ratelimit-remaining')) < Number(res.headers.get('x-ratelimit-limit')),
      'Remaining below Limit after a request',
    );
    // Message sends: 10 per 10 s per channel.
    const { general } = await makeServer(s, owner);
    let limited: ApiResponse | undefined;
    for (let i = 0; i < 15 && !limited; i++) {
      const r = await send(owner, general.id, { content: `burst ${i}` });
      if (r.status === 429) limited = r;
    }
    s.ok(limited, 'no 429 after 15 sends in a row');
    if (limited) {
      s.error(limited, 429, 'the 429');
      s.ok(
        typeof limited.body?.retry_after === 'number' && limited.body.retry_after > 0,
        `retry_after ${limited.body?.retry_after}`,
      );
      s.ok(
        /^[1-9]\d*$/.test(limited.headers.get('retry-after') ?? ''),
        `Retry-After ${limited.headers.get('retry-after')} is not whole seconds (RFC 9110)`,
      );
      s.eq(limited.headers.get('x-ratelimit-remaining'), '0', 'X-RateLimit-Remaining on a 429');
    }
  });
});

formatsEverywhere(5);
