import crypto from 'node:crypto';
import { useTestApp } from '../../helpers/app.js';
import {
  api,
  registerUser,
  setAdminByHand,
  type ApiResponse,
  type TestUser,
} from '../../helpers/accounts.js';

let admin: TestUser;
let user: TestUser;
/**
 * The address `user`'s logins come from (X-Forwarded-For through the trusted loopback proxy): in
 * TEST-NET-1, apart from the 198.18.0.0/15 addresses registerUser uses (randomIp).
 */
let userIp: string;

const app = useTestApp({ workers: false, gateway: false });
beforeAll(async () => {
  admin = await registerUser(app);
  await setAdminByHand(app, admin.id, true);
  user = await registerUser(app);
  userIp = `192.0.2.${crypto.randomInt(1, 254)}`;
  const headers = { 'x-forwarded-for': userIp };
  const failed = await api(app, 'POST', '/auth/login', {
    body: { login: user.username, password: 'not the password' },
    headers,
  });
  expect(failed.status).toBe(401);
  const ok = await api(app, 'POST', '/auth/login', {
    body: { login: user.username, password: user.password },
    headers,
  });
  expect(ok.status).toBe(200);
});

interface SecurityEvent {
  id: string;
  type: string;
  user_id: string | null;
  ip: string | null;
}
const list = (res: ApiResponse) => res.body as SecurityEvent[];

const events = (query: string) => api(app, 'GET', `/admin/security-events${query}`, { token: admin.token });

describe('GET /admin/security-events', () => {
  it('shows login failures and successes of a user, newest first, in the documented shape', async () => {
    const res = await events(`?user_id=${user.id}`);
    expect(res.status).toBe(200);
    // register (login_success via register), wrong password, right password
    expect(list(res).map((e) => e.type)).toEqual(['login_success', 'login_failure', 'login_success']);
    const [success, failure, registered] = res.body;
    expect(success).toEqual({
      id: expect.stringMatching(/^\d+$/),
      type: 'login_success',
      user_id: user.id,
      ip: userIp,
      details: {},
      created_at: expect.any(Number),
    });
    expect(Math.abs(success.created_at - Date.now() / 1000)).toBeLessThan(60);
    expect(failure).toMatchObject({ type: 'login_failure', user_id: user.id, ip: userIp });
    expect(failure.details).toEqual({ login: user.username.toLowerCase() });
    expect(registered.details).toEqual({ via: 'register' });
    expect(BigInt(success.id) > BigInt(failure.id)).toBe(true);
  });

  it('filters by type, by ip, and by both combined with user_id', async () => {
    const failures = await events(`?user_id=${user.id}&type=login_failure`);
    expect(failures.status).toBe(200);
    expect(failures.body).toHaveLength(1);
    expect(failures.body[0]).toMatchObject({ type: 'login_failure', user_id: user.id });

    // Other test files may log in from the same TEST-NET address: assert on what the filter promises.
    const fromIp = await events(`?ip=${userIp}&limit=100`);
    expect(fromIp.status).toBe(200);
    expect(list(fromIp).every((e) => e.ip === userIp)).toBe(true);
    const ours = list(fromIp).filter((e) => e.user_id === user.id);
    expect(ours.map((e) => e.type)).toEqual(['login_success', 'login_failure']);

    const combined = await events(`?ip=${userIp}&type=login_success&user_id=${user.id}`);
    expect(combined.body).toHaveLength(1);
    expect(combined.body[0]).toMatchObject({ type: 'login_success', ip: userIp, user_id: user.id });

    const allSuccesses = await events('?type=login_success&limit=5');
    expect(allSuccesses.body.length).toBeGreaterThan(0);
    expect(list(allSuccesses).every((e) => e.type === 'login_success')).toBe(true);

    const nobody = await events(`?ip=198.18.0.1&user_id=${user.id}`);
    expect([nobody.status, nobody.body]).toEqual([200, []]);
  });

  it('pages with limit, before (newest first) and after (oldest first)', async () => {
    const all = (await events(`?user_id=${user.id}`)).body as { id: string }[];
    const ids = all.map((e) => e.id); // newest first
    expect(ids).toHaveLength(3);

    const first = await events(`?user_id=${user.id}&limit=2`);
    expect(list(first).map((e) => e.id)).toEqual(ids.slice(0, 2));

    const next = await events(`?user_id=${user.id}&limit=2&before=${ids[1]}`);
    expect(list(next).map((e) => e.id)).toEqual(ids.slice(2));

    const oldest = ids[2] as string;
    const after = await events(`?user_id=${user.id}&after=${oldest}`);
    expect(list(after).map((e) => e.id)).toEqual([ids[1], ids[0]]);

    const afterLimited = await events(`?user_id=${user.id}&after=${oldest}&limit=1`);
    expect(list(afterLimited).map((e) => e.id)).toEqual([ids[1]]);
  });

  it('is a 403 for non-admins and a 401 without a token', async () => {
    const asUser = await api(app, 'GET', '/admin/security-events', { token: user.token });
    expect([asUser.status, asUser.body.code]).toEqual([403, 'missing_permission']);
    const anonymous = await api(app, 'GET', '/admin/security-events');
    expect(anonymous.status).toBe(401);
  });

  it('answers 400 naming the bad filter', async () => {
    const badType = await events('?type=coffee_break');
    expect(badType.status).toBe(400);
    expect(badType.body.code).toBe('validation_error');
    expect(Object.keys(badType.body.errors)).toEqual(['type']);

    const badIp = await events('?ip=999.1.1.1');
    expect(badIp.status).toBe(400);
    expect(Object.keys(badIp.body.errors)).toEqual(['ip']);

    const badLimit = await events('?limit=0&user_id=abc');
    expect(badLimit.status).toBe(400);
    expect(Object.keys(badLimit.body.errors).sort()).toEqual(['limit', 'user_id']);
  });
});
