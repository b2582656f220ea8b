import { useTestApp } from '../../helpers/app.js';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { testConfig } from '../../helpers/config.js';
import { createServerWithChannel } from '../../helpers/factories.js';

/**
 * `server.timing` (api/middleware/server-timing.ts): answers say where their request's time went,
 * phase by phase, over real HTTP with the workers storing the message.
 */
const app = useTestApp({ config: testConfig({ server: { timing: true } }), gateway: false }, 60_000);
let alice: TestUser;
beforeAll(async () => {
  alice = await registerUser(app);
}, 60_000);

/** The header's phases as [name, ms] in order. */
function phases(header: string | null): [string, number][] {
  expect(header).not.toBeNull();
  return (header ?? '').split(', ').map((entry) => {
    const m = /^([a-z]+);dur=(\d+\.\d)$/.exec(entry);
    expect(m).not.toBeNull();
    return [m?.[1] ?? '', Number(m?.[2])];
  });
}

describe('Server-Timing', () => {
  it('tells a send its phases in order, from the caller to the stored message', async () => {
    const { channel } = await createServerWithChannel(app.rt, alice.id);
    const res = await api(app, 'POST', `/channels/${channel.id}/messages`, {
      token: alice.token,
      body: { content: 'timed', nonce: 'timed-1' },
    });
    expect(res.status).toBe(200);
    const timed = phases(res.headers.get('server-timing'));
    expect(timed.map(([name]) => name)).toEqual([
      'auth',
      'limit',
      'validate',
      'access',
      'claim',
      'queue',
      'job',
      'total',
    ]);
    // The phases follow one another: together they fit in the total.
    const [, total] = timed[timed.length - 1]!;
    const sum = timed.slice(0, -1).reduce((s, [, ms]) => s + ms, 0);
    expect(sum).toBeLessThanOrEqual(total + 0.1 * timed.length);
  });

  it('gives a refused request the phases it went through', async () => {
    const anonymous = await api(app, 'GET', '/users/@me');
    expect(anonymous.status).toBe(401);
    expect(phases(anonymous.headers.get('server-timing')).map(([name]) => name)).toEqual(['total']);
    const { channel } = await createServerWithChannel(app.rt, alice.id);
    const invalid = await api(app, 'POST', `/channels/${channel.id}/messages`, {
      token: alice.token,
      body: { content: 5 },
    });
    expect(invalid.status).toBe(400);
    expect(phases(invalid.headers.get('server-timing')).map(([name]) => name)).toEqual([
      'auth',
      'limit',
      'total',
    ]);
  });
});
