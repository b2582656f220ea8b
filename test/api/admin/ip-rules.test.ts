import pg from 'pg';
import { io } from 'socket.io-client';
import { canonicalCidr } from '../../../api/routes/admin/schema.js';
import { decide } from '../../../api/security/ip-rules.js';
import { CidrSet } from '../../../shared/net/ip.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { api, registerUser, setAdminByHand, type TestUser } from '../../helpers/accounts.js';
import { testConfig } from '../../helpers/config.js';
import { TEST_DATABASE_URL } from '../../helpers/env.js';

/**
 * ip_rules is one table for every test file running in parallel against the test database. So:
 * only deny rules, only on TEST-NET ranges nobody else uses (203.0.113.0/24, 2001:db8::/32), never
 * an allow rule through the app (it would turn the list into an allowlist and block every other
 * file's traffic: allowlist semantics are unit-tested on decide() below), the table emptied again
 * at the end, and files that change the table hold this advisory lock while they do.
 */
const IP_RULES_LOCK = 4_711_001;

let app: TestApp;
let admin: TestUser;
let lock: pg.Client;

beforeAll(async () => {
  lock = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await lock.connect();
  await lock.query('SELECT pg_advisory_lock($1)', [IP_RULES_LOCK]);
  app = await startTestApp({ workers: false, gateway: false });
  admin = await registerUser(app);
  await setAdminByHand(app, admin.id, true);
}, 60_000);

afterAll(async () => {
  try {
    if (app) {
      const res = await putRules([]);
      expect([res.status, res.body]).toEqual([200, []]);
      await app.close();
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [IP_RULES_LOCK]).catch(() => undefined);
    await lock.end();
  }
});

function putRules(rules: unknown[], headers: Record<string, string> = {}) {
  return api(app, 'PUT', '/admin/ip-rules', { token: admin.token, body: { rules }, headers });
}

const versionFrom = (target: TestApp, ip: string) =>
  api(target, 'GET', '/version', { headers: { 'x-forwarded-for': ip } });

describe('PUT/GET /admin/ip-rules', () => {
  it('replaces the list, stores canonical CIDRs and answers the new list', async () => {
    const res = await putRules([
      { cidr: '203.0.113.77/24', action: 'deny', note: 'host bits are cleared' },
      { cidr: '203.0.113.5', action: 'deny' },
      { cidr: '2001:DB8:0:0::/32', action: 'deny', note: '' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      {
        id: expect.stringMatching(/^\d+$/),
        cidr: '203.0.113.0/24',
        action: 'deny',
        note: 'host bits are cleared',
        created_by: admin.id,
        created_at: expect.any(Number),
      },
      expect.objectContaining({ cidr: '203.0.113.5/32', note: null }),
      expect.objectContaining({ cidr: '2001:db8::/32', note: null }),
    ]);
    const listed = await api(app, 'GET', '/admin/ip-rules', { token: admin.token });
    expect([listed.status, listed.body]).toEqual([200, res.body]);

    // The whole list is replaced, not merged.
    const replaced = await putRules([{ cidr: '203.0.113.0/25', action: 'deny' }]);
    expect((replaced.body as { cidr: string }[]).map((r) => r.cidr)).toEqual(['203.0.113.0/25']);
  });

  it('takes the bare list too, as GET answers it: PUT of what GET gave back keeps the rules', async () => {
    expect((await putRules([{ cidr: '203.0.113.0/26', action: 'deny', note: 'kept' }])).status).toBe(200);
    const listed = await api(app, 'GET', '/admin/ip-rules', { token: admin.token });
    const again = await api(app, 'PUT', '/admin/ip-rules', { token: admin.token, body: listed.body });
    expect(again.status).toBe(200);
    expect(again.body).toEqual([
      expect.objectContaining({ cidr: '203.0.113.0/26', action: 'deny', note: 'kept' }),
    ]);
    const bare = await api(app, 'PUT', '/admin/ip-rules', {
      token: admin.token,
      body: [{ cidr: '203.0.113.128/25', action: 'deny' }],
    });
    expect((bare.body as { cidr: string }[]).map((r) => r.cidr)).toEqual(['203.0.113.128/25']);
    const bad = await api(app, 'PUT', '/admin/ip-rules', {
      token: admin.token,
      body: [
        { cidr: 'nope', action: 'deny' },
        { cidr: '203.0.113.0/24', action: 'maybe' },
      ],
    });
    expect([bad.status, Object.keys(bad.body.errors).sort()]).toEqual([400, ['0.cidr', '1.action']]);
  });

  it('blocks a denied IPv4 address from X-Forwarded-For with 403 ip_blocked and records it', async () => {
    expect((await putRules([{ cidr: '203.0.113.0/24', action: 'deny' }])).status).toBe(200);
    const blocked = await versionFrom(app, '203.0.113.7');
    expect(blocked.status).toBe(403);
    expect(blocked.body.code).toBe('ip_blocked');
    expect((await versionFrom(app, '198.51.100.77')).status).toBe(200);
    expect((await versionFrom(app, '203.0.114.7')).status).toBe(200);

    const events = await api(app, 'GET', '/admin/security-events?type=ip_blocked&ip=203.0.113.7', {
      token: admin.token,
    });
    expect(events.status).toBe(200);
    expect(events.body[0]).toMatchObject({
      type: 'ip_blocked',
      ip: '203.0.113.7',
      user_id: null,
      details: { path: '/api/v1/version' },
    });
  });

  it('blocks a denied IPv6 range', async () => {
    expect((await putRules([{ cidr: '2001:db8::/32', action: 'deny' }])).status).toBe(200);
    const blocked = await versionFrom(app, '2001:db8::1');
    expect([blocked.status, blocked.body.code]).toEqual([403, 'ip_blocked']);
    expect((await versionFrom(app, '2001:db8:ffff::42')).status).toBe(403);
    expect((await versionFrom(app, '2001:db9::1')).status).toBe(200);
    // IPv4 traffic is not matched by an IPv6 rule.
    expect((await versionFrom(app, '203.0.113.7')).status).toBe(200);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    expect((await putRules([{ cidr: '203.0.113.0/24', action: 'deny' }])).status).toBe(200);
    const untrusting = await startTestApp({
      workers: false,
      gateway: false,
      config: testConfig({ server: { trusted_proxies: [] } }),
    });
    try {
      // The same rules (one database): the trusting app blocks, the other sees only 127.0.0.1.
      expect((await versionFrom(app, '203.0.113.7')).status).toBe(403);
      expect((await versionFrom(untrusting, '203.0.113.7')).status).toBe(200);
    } finally {
      await untrusting.close();
    }
  });

  it('the gateway refuses a handshake from a denied address, before looking at the token', async () => {
    expect((await putRules([{ cidr: '203.0.113.0/24', action: 'deny' }])).status).toBe(200);
    const withGateway = await startTestApp({ workers: false });
    try {
      const user = await registerUser(withGateway);
      const attempt = (ip: string) =>
        new Promise<string>((resolve) => {
          const socket = io(withGateway.origin, {
            path: '/gateway',
            transports: ['websocket'],
            auth: { token: user.token },
            extraHeaders: { 'x-forwarded-for': ip },
            reconnection: false,
            forceNew: true,
          });
          socket.once('connect', () => {
            socket.disconnect();
            resolve('connected');
          });
          socket.once('connect_error', (err: Error & { data?: { code: string } }) => {
            socket.disconnect();
            resolve(err.data?.code ?? err.message);
          });
        });
      expect(await attempt('203.0.113.9')).toBe('ip_blocked');
      expect(await attempt('198.51.100.9')).toBe('connected');
    } finally {
      await withGateway.close();
    }
  });

  it('refuses a list that would block the caller’s own address (409 would_block_self)', async () => {
    expect((await putRules([])).status).toBe(200);
    const denySelf = await putRules([{ cidr: '203.0.113.0/24', action: 'deny' }], {
      'x-forwarded-for': '203.0.113.50',
    });
    expect([denySelf.status, denySelf.body.code]).toEqual([409, 'would_block_self']);
    // An allowlist without the caller's address (127.0.0.1 here) would lock them out too.
    const allowOthers = await putRules([{ cidr: '203.0.113.0/24', action: 'allow' }]);
    expect([allowOthers.status, allowOthers.body.code]).toEqual([409, 'would_block_self']);
    const listed = await api(app, 'GET', '/admin/ip-rules', { token: admin.token });
    expect((listed.body as { action: string }[]).some((r) => r.action === 'allow')).toBe(false);
  });

  it('answers 400 naming each bad rule field', async () => {
    const bad = await putRules([
      { cidr: '203.0.113.0/33', action: 'deny' },
      { cidr: '203.0.113.0/24', action: 'maybe' },
      { cidr: 'example.com', action: 'deny' },
      { action: 'deny' },
    ]);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_error');
    expect(Object.keys(bad.body.errors).sort()).toEqual([
      'rules.0.cidr',
      'rules.1.action',
      'rules.2.cidr',
      'rules.3.cidr',
    ]);
    expect(bad.body.errors['rules.0.cidr']).toMatch(/CIDR/);

    const tooMany = await putRules(
      Array.from({ length: 1001 }, (_, i) => ({ cidr: `203.0.113.${i % 256}`, action: 'deny' })),
    );
    expect([tooMany.status, Object.keys(tooMany.body.errors)]).toEqual([400, ['rules']]);
    const missing = await api(app, 'PUT', '/admin/ip-rules', { token: admin.token, body: {} });
    expect([missing.status, Object.keys(missing.body.errors)]).toEqual([400, ['rules']]);
  });

  it('is forbidden to non-admins', async () => {
    const user = await registerUser(app);
    const get = await api(app, 'GET', '/admin/ip-rules', { token: user.token });
    expect([get.status, get.body.code]).toEqual([403, 'missing_permission']);
    const put = await api(app, 'PUT', '/admin/ip-rules', { token: user.token, body: { rules: [] } });
    expect(put.status).toBe(403);
    expect((await api(app, 'GET', '/admin/ip-rules')).status).toBe(401);
  });
});

describe('decide (the rule semantics)', () => {
  const sets = (allow: string[], deny: string[]) => [new CidrSet(allow), new CidrSet(deny)] as const;

  it('lets everything through when there are no rules', () => {
    expect(decide('192.0.2.1', ...sets([], []))).toBe(true);
    expect(decide('2001:db8::1', ...sets([], []))).toBe(true);
  });

  it('refuses denied addresses only, while no allow rule exists', () => {
    const [allow, deny] = sets([], ['192.0.2.0/24', '2001:db8::/32']);
    expect(decide('192.0.2.9', allow, deny)).toBe(false);
    expect(decide('2001:db8::9', allow, deny)).toBe(false);
    expect(decide('198.51.100.1', allow, deny)).toBe(true);
  });

  it('turns into an allowlist as soon as one allow rule exists', () => {
    const [allow, deny] = sets(['192.0.2.0/24', '2001:db8::/32'], []);
    expect(decide('192.0.2.9', allow, deny)).toBe(true);
    expect(decide('2001:db8::9', allow, deny)).toBe(true);
    expect(decide('198.51.100.1', allow, deny)).toBe(false);
    expect(decide('2001:db9::1', allow, deny)).toBe(false);
  });

  it('lets deny win over allow', () => {
    const [allow, deny] = sets(['192.0.2.0/24'], ['192.0.2.128/25']);
    expect(decide('192.0.2.1', allow, deny)).toBe(true);
    expect(decide('192.0.2.200', allow, deny)).toBe(false);
  });
});

describe('canonicalCidr', () => {
  it.each([
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.0.2.7', '192.0.2.7/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::1/32', '2001:db8::/32'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['::/0', '::/0'],
    ['::ffff:192.0.2.0/120', '192.0.2.0/24'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalCidr(input)).toBe(expected);
  });

  it.each(['', '10.0.0.0/33', '2001:db8::/129', '10/8', '10.0.0.0/8/8', '10.0.0.0/', 'fe80::1%eth0/64', 'x'])(
    'rejects %j',
    (input) => {
      expect(() => canonicalCidr(input)).toThrow();
    },
  );
});
