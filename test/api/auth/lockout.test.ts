import { useTestApp } from '../../helpers/app.js';
import { api, deviceCookieOf, registerUser, type TestUser } from '../../helpers/accounts.js';
import { testConfig } from '../../helpers/config.js';

const ACCOUNT = { points: 6, duration_seconds: 600, block_seconds: 300 };
const DEVICE = { points: 3, duration_seconds: 600, block_seconds: 450 };
const BACKOFF = { free_attempts: 3, base_delay_seconds: 60, max_delay_seconds: 600, window_seconds: 3600 };

const app = useTestApp({
  workers: false,
  gateway: false,
  config: testConfig({
    security: {
      throttle: {
        login_account: ACCOUNT,
        login_device: DEVICE,
        login_ip: { points: 40, duration_seconds: 600, block_seconds: 600 },
      },
      login_backoff: BACKOFF,
    },
  }),
});

/** Addresses unique to this file and call, so the per-IP counters of one test stay its own. */
let nextHost = 0;
const freshIp = () => {
  nextHost++;
  return `203.0.${113 + Math.floor(nextHost / 250)}.${(nextHost % 250) + 1}`;
};

function login(u: TestUser, password: string, ip: string, cookie?: string) {
  return api(app, 'POST', '/auth/login', {
    headers: { 'x-forwarded-for': ip, ...(cookie ? { cookie } : {}) },
    body: { login: u.username, password },
  });
}

/** Wrong passwords for `u` from a fresh IP each, until the account refuses unknown sources. */
async function tripAccountLock(u: TestUser) {
  for (let i = 0; i < ACCOUNT.points; i++)
    expect((await login(u, 'wrong password', freshIp())).status).toBe(401);
  const refused = await login(u, 'wrong password', freshIp());
  expect(refused.status).toBe(429);
  return refused;
}

describe('a lockout strangers cannot turn on the owner', () => {
  it('slows a stranger guessing from one IP (progressive delay) without touching the owner elsewhere', async () => {
    const owner = await registerUser(app);
    const strangerIp = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < BACKOFF.free_attempts + 1; i++) {
      statuses.push((await login(owner, `guess-${i}`, strangerIp)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401]);
    const slowed = await login(owner, 'guess-again', strangerIp);
    expect(slowed.status).toBe(429);
    expect(slowed.body.retry_after).toBeGreaterThan(0);
    expect(slowed.body.retry_after).toBeLessThanOrEqual(BACKOFF.base_delay_seconds);
    expect(Number(slowed.headers.get('retry-after'))).toBe(slowed.body.retry_after);
    // Even the right password waits from there: the delay is the stranger's.
    expect((await login(owner, owner.password, strangerIp)).status).toBe(429);
    // The owner, from a new address and with no device cookie, is not locked out.
    const fromElsewhere = await login(owner, owner.password, freshIp());
    expect(fromElsewhere.status).toBe(200);
    expect(fromElsewhere.body.user.id).toBe(owner.id);
  });

  it('many sources lock the account for unknown sources only, for exactly the configured block', async () => {
    const owner = await registerUser(app);
    // The owner's laptop signed in before the attack: it holds a device cookie.
    const laptop = deviceCookieOf(await login(owner, owner.password, freshIp()));
    // And their home IP has a live session.
    const home = freshIp();
    expect((await login(owner, owner.password, home)).status).toBe(200);

    const refused = await tripAccountLock(owner);
    expect(refused.body.retry_after).toBe(ACCOUNT.block_seconds);
    expect(refused.headers.get('retry-after')).toBe(String(ACCOUNT.block_seconds));
    const events = await app.rt.models.SecurityEvent.findAll({
      where: { user_id: owner.id, type: 'lockout' },
    });
    expect(events).toHaveLength(1);

    // A new, unknown device (even with the right password) waits out the block...
    const unknown = await login(owner, owner.password, freshIp());
    expect(unknown.status).toBe(429);
    expect(unknown.body.retry_after).toBeLessThanOrEqual(ACCOUNT.block_seconds);
    // ...the owner's device cookie works from anywhere, and their home IP still signs in.
    const withCookie = await login(owner, owner.password, freshIp(), laptop);
    expect([withCookie.status, withCookie.body.user?.id]).toEqual([200, owner.id]);
    expect((await login(owner, owner.password, home)).status).toBe(200);
  });

  it('a forged, altered or other account’s device cookie counts for nothing', async () => {
    const owner = await registerUser(app);
    const other = await registerUser(app);
    const otherCookie = deviceCookieOf(await login(other, other.password, freshIp()));
    const ownCookie = deviceCookieOf(await login(owner, owner.password, freshIp()));
    await tripAccountLock(owner);
    const [name, value = ''] = ownCookie.split('=');
    const altered = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    const renamed = `plexichat_device_${owner.id}=${otherCookie.split('=')[1]}`;
    for (const cookie of [altered, renamed, otherCookie, `plexichat_device_${owner.id}=garbage`]) {
      expect([cookie, (await login(owner, owner.password, freshIp(), cookie)).status]).toEqual([cookie, 429]);
    }
    expect((await login(owner, owner.password, freshIp(), ownCookie)).status).toBe(200);
  });

  it('a device cookie has its own limit, with the configured block', async () => {
    const owner = await registerUser(app);
    const cookie = deviceCookieOf(await login(owner, owner.password, freshIp()));
    for (let i = 0; i < DEVICE.points; i++) {
      expect((await login(owner, `wrong-${i}`, freshIp(), cookie)).status).toBe(401);
    }
    const refused = await login(owner, owner.password, freshIp(), cookie);
    expect([refused.status, refused.body.retry_after]).toEqual([429, DEVICE.block_seconds]);
    // The device's failures did not count against the account: a new device signs in.
    expect((await login(owner, owner.password, freshIp())).status).toBe(200);
  });
});

describe('every attempt is counted before it is judged', () => {
  const judged = (statuses: number[]) => statuses.filter((s) => s === 401).length;

  it('40 parallel wrong passwords from one IP: only the free attempts and one more are judged', async () => {
    const owner = await registerUser(app);
    const ip = freshIp();
    const all = await Promise.all(Array.from({ length: 40 }, (_, i) => login(owner, `parallel-${i}`, ip)));
    const statuses = all.map((r) => r.status);
    expect(judged(statuses)).toBe(BACKOFF.free_attempts + 1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40 - BACKOFF.free_attempts - 1);
    const failures = await app.rt.models.SecurityEvent.count({
      where: { user_id: owner.id, type: 'login_failure' },
    });
    expect(failures).toBe(BACKOFF.free_attempts + 1);
  });

  it('40 parallel wrong passwords from 40 IPs: no more than the account allows are judged', async () => {
    const owner = await registerUser(app);
    const all = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(owner, `spread-${i}`, freshIp())),
    );
    expect(judged(all.map((r) => r.status))).toBe(ACCOUNT.points);
    const failures = await app.rt.models.SecurityEvent.count({
      where: { user_id: owner.id, type: 'login_failure' },
    });
    expect(failures).toBe(ACCOUNT.points);
  });

  it('40 parallel wrong passwords with one device cookie: the device limit holds', async () => {
    const owner = await registerUser(app);
    const cookie = deviceCookieOf(await login(owner, owner.password, freshIp()));
    const all = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(owner, `device-${i}`, freshIp(), cookie)),
    );
    expect(judged(all.map((r) => r.status))).toBe(DEVICE.points);
  });
});
