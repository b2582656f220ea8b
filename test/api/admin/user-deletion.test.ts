import os from 'node:os';
import path from 'node:path';
import { useTestApp } from '../../helpers/app.js';
import { api, registerUser, setAdminByHand, type TestUser } from '../../helpers/accounts.js';
import { configEnv } from '../../helpers/config.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { spawnEntry } from '../../helpers/processes.js';

let admin: TestUser;
const sockets: GatewayClient[] = [];

const app = useTestApp();
beforeAll(async () => {
  admin = await registerUser(app);
  await setAdminByHand(app, admin.id, true);
});
afterAll(() => {
  for (const s of sockets) s.close();
});

const asAdmin = (method: string, path: string, body?: unknown) =>
  api(app, method, path, { token: admin.token, body });

/** Runs `cli.ts <args>` from source against the test app's database and Redis (as test/cli.test.ts). */
async function cli(args: string[]) {
  const proc = spawnEntry(
    'cli.ts',
    {
      ...configEnv(app.config),
      HOME: path.join(os.tmpdir(), 'plexichat-test-home'),
      PLEXICHAT_SNOWFLAKE__WORKER_ID: '30',
    },
    args,
  );
  const code = await proc.exited;
  return { code, output: proc.output() };
}

describe('operator account deletion', () => {
  it('DELETE /admin/users/{id} deletes the account: sessions end, placeholder stays, audited', async () => {
    const u = await registerUser(app, { email: `op-${Date.now()}@example.test` });
    const socket = await connectGateway(app.origin, { token: u.token });
    sockets.push(socket);
    const closed = new Promise<string>((resolve) => socket.socket.once('disconnect', resolve));
    const res = await asAdmin('DELETE', `/admin/users/${u.id}`);
    expect(res.status).toBe(204);
    expect(await closed).toBe('io server disconnect');
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(401);
    const seen = await asAdmin('GET', `/admin/users/${u.id}`);
    expect(seen.body).toMatchObject({
      username: `deleted_user_${u.id}`,
      email: null,
      deleted_at: expect.any(Number),
      disabled_at: expect.any(Number),
      session_count: 0,
    });
    const events = await asAdmin('GET', `/admin/security-events?user_id=${u.id}&type=account_deleted`);
    expect(events.body).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ by: admin.id }) }),
    ]);
    // Gone for good: not again, and not re-enabled.
    expect((await asAdmin('DELETE', `/admin/users/${u.id}`)).status).toBe(404);
    const enable = await asAdmin('PATCH', `/admin/users/${u.id}`, { disabled: false });
    expect([enable.status, enable.body.code]).toEqual([409, 'account_deleted']);
  });

  it('refuses owners (listing the servers), the caller, and non-admins', async () => {
    const owner = await registerUser(app);
    const server = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'kept' } });
    const refused = await asAdmin('DELETE', `/admin/users/${owner.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: 'owns_servers',
      servers: [{ id: server.body.id, name: 'kept' }],
    });
    const self = await asAdmin('DELETE', `/admin/users/${admin.id}`);
    expect([self.status, self.body.code]).toEqual([400, 'cannot_delete_self']);
    const plain = await registerUser(app);
    expect((await api(app, 'DELETE', `/admin/users/${owner.id}`, { token: plain.token })).status).toBe(403);
    expect((await api(app, 'GET', '/users/@me', { token: owner.token })).status).toBe(200);
  });

  it('npm run cli -- user delete <username> does the same from a shell', async () => {
    const u = await registerUser(app);
    const done = await cli(['user', 'delete', u.username.toUpperCase()]);
    expect(done.output).toBe(`deleted ${u.username} (${u.id}); its messages now show deleted_user_${u.id}\n`);
    expect(done.code).toBe(0);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).status).toBe(401);
    const profile = await api(app, 'GET', `/users/${u.id}`, { token: admin.token });
    expect(profile.body).toMatchObject({ username: `deleted_user_${u.id}`, deleted: true });
    const events = await app.rt.models.SecurityEvent.findAll({
      where: { user_id: u.id, type: 'account_deleted' },
    });
    expect(events.map((e) => e.details.by)).toEqual(['cli']);

    const owner = await registerUser(app);
    const server = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'mine' } });
    const refused = await cli(['user', 'delete', owner.username]);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`mine (${server.body.id})`);
    expect((await cli(['user', 'delete', 'nobody_here_at_all'])).output).toContain('no user named');
  }, 60_000);
});
