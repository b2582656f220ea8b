import { useTestApp } from '../../helpers/app.js';
import { api, registerUser, setAdminByHand, type TestUser } from '../../helpers/accounts.js';
import { testConfig } from '../../helpers/config.js';

let admin: TestUser;

const app = useTestApp(
  {
    config: testConfig({ log: { admin: { enabled: true, level: 'info', max_entries: 1000 } } }),
    workers: false,
    gateway: false,
  },
  60_000,
);
beforeAll(async () => {
  admin = await registerUser(app);
  await setAdminByHand(app, admin.id, true);
}, 60_000);

type Entry = { id: string; level: string; role: string; msg: string; fields: Record<string, unknown> };

/** Reads the admin log until `match` finds an entry (lines reach Redis a tick after they are logged). */
async function findEntry(query: string, match: (e: Entry) => boolean): Promise<Entry> {
  for (let i = 0; i < 50; i++) {
    const res = await api(app, 'GET', `/admin/logs?${query}`, { token: admin.token });
    expect(res.status).toBe(200);
    const found = (res.body as Entry[]).find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no log entry matched ${query}`);
}

describe('GET /admin/logs', () => {
  it('shows every request the API logged, findable by request id, with secrets redacted', async () => {
    const probe = await fetch(`${app.api}/users/@me`, {
      headers: { authorization: `Bearer ${admin.token}`, 'x-request-id': 'probe-request-1' },
    });
    const requestId = probe.headers.get('x-request-id') ?? '';
    expect(requestId).not.toBe('');
    const entry = await findEntry(`request_id=${encodeURIComponent(requestId)}`, () => true);
    expect(entry).toMatchObject({ level: 'info', role: 'test', msg: 'request completed' });
    expect(entry.fields.request_id).toBe(requestId);
    expect(JSON.stringify(entry)).not.toContain(admin.token);
    expect(JSON.stringify(entry)).toContain('[redacted]');
  });

  it('filters by lowest level and by text, newest first, and pages with before', async () => {
    app.rt.logger.warn({ probe: 'filter-1' }, 'something odd happened');
    app.rt.logger.error({ probe: 'filter-2' }, 'something broke');
    const error = await findEntry('level=error', (e) => e.msg === 'something broke');
    expect(error.fields.probe).toBe('filter-2');
    const errorsOnly = await api(app, 'GET', '/admin/logs?level=error&limit=500', { token: admin.token });
    expect((errorsOnly.body as Entry[]).every((e) => ['error', 'fatal'].includes(e.level))).toBe(true);
    const text = await api(app, 'GET', '/admin/logs?q=SOMETHING%20ODD', { token: admin.token });
    expect((text.body as Entry[]).map((e) => e.msg)).toEqual(['something odd happened']);

    const page1 = await api(app, 'GET', '/admin/logs?limit=2', { token: admin.token });
    expect(page1.body).toHaveLength(2);
    const [first, second] = page1.body as Entry[];
    expect(first!.id > second!.id).toBe(true);
    const page2 = await api(app, 'GET', `/admin/logs?limit=2&before=${second!.id}`, { token: admin.token });
    expect((page2.body as Entry[]).every((e) => e.id < second!.id)).toBe(true);
  });

  it('is forbidden to non-admins, and names bad filters', async () => {
    const user = await registerUser(app);
    expect((await api(app, 'GET', '/admin/logs', { token: user.token })).status).toBe(403);
    const bad = await api(app, 'GET', '/admin/logs?level=loud&before=yesterday&limit=0', {
      token: admin.token,
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['before', 'level', 'limit']);
  });
});
