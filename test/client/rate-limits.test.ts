import { Client, PlexichatError } from '../../client/src/index.js';
import { useTestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { sdkUser } from './helpers.js';

/** GET /users/@me's bucket: a few points, refilled every couple of seconds. */
const POINTS = 3;
const SECONDS = 2;

const app = useTestApp(
  {
    config: testConfig({
      rate_limits: {
        enabled: true,
        routes: {
          'GET /users/@me': { points: POINTS, duration_seconds: SECONDS },
          // A bucket no slow machine outlasts while the test spends it.
          'GET /users/@me/sessions': { points: 1, duration_seconds: 600 },
        },
      },
    }),
    gateway: false,
  },
  60_000,
);

/** A client with `token` whose fetch notes every answer's status (the server is the real one). */
function observed(token: string, maxRetries?: number): { client: Client; statuses: number[] } {
  const statuses: number[] = [];
  const client = new Client({
    baseUrl: app.origin,
    token,
    rest: {
      ...(maxRetries === undefined ? {} : { maxRetries }),
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        statuses.push(res.status);
        return res;
      },
    },
  });
  return { client, statuses };
}

describe('rate limits', () => {
  it('waits out a 429 for Retry-After, then succeeds', async () => {
    const { client: owner, id } = await sdkUser(app);
    const token = owner.rest.getToken() ?? '';
    // Another client with the same token empties the bucket, so this one meets the 429 unwarned.
    const other = observed(token);
    for (let i = 0; i < POINTS; i++) await other.client.rest.getUsersMe();
    const fresh = observed(token);
    const me = await fresh.client.rest.getUsersMe();
    expect(me.id).toBe(id);
    expect(fresh.statuses).toEqual([429, 200]);
  });

  it('respects a known bucket: many calls, sequential or at once, and the server never says 429', async () => {
    const { client: owner } = await sdkUser(app);
    const { client, statuses } = observed(owner.rest.getToken() ?? '');
    // More than two buckets' worth: the client must wait for refills twice.
    for (let i = 0; i < POINTS + 1; i++) await client.rest.getUsersMe();
    const together = await Promise.all(
      Array.from({ length: POINTS + 1 }, () => client.rest.request('GET /users/@me')),
    );
    expect(together).toHaveLength(POINTS + 1);
    expect(statuses).toEqual(Array.from({ length: 2 * POINTS + 2 }, () => 200));
  });

  it('throws the 429 as a PlexichatError once its retries are spent', async () => {
    const { client: owner } = await sdkUser(app);
    const token = owner.rest.getToken() ?? '';
    await observed(token).client.rest.request('GET /users/@me/sessions');
    const impatient = observed(token, 0);
    const err = await impatient.client.rest.request('GET /users/@me/sessions').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlexichatError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limited' });
    expect((err as PlexichatError).retryAfter).toBeGreaterThan(0);
  });
});
