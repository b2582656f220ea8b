import type { DispatchFrame, PresenceObject } from '../../shared/events/index.js';
import { api, registerUser, type TestUser } from '../helpers/accounts.js';
import { useTestApp } from '../helpers/app.js';
import { configEnv, testConfig } from '../helpers/config.js';
import { connectGateway, type GatewayClient } from '../helpers/gateway-client.js';
import { spawnEntry } from '../helpers/processes.js';
import { addMember, makeServer } from '../api/servers/helpers.js';

const clients: GatewayClient[] = [];

const app = useTestApp({ config: testConfig({ gateway: { presence_heartbeat_seconds: 1 } }) }, 60000);

afterAll(() => {
  for (const c of clients) c.close();
});

async function connect(user: TestUser, origin = app.origin): Promise<GatewayClient> {
  const c = await connectGateway(origin, { token: user.token });
  clients.push(c);
  return c;
}

/** Two users who share a server, the observer connected. */
async function pair(): Promise<{
  subject: TestUser;
  observer: TestUser;
  watching: GatewayClient;
  serverId: string;
}> {
  const observer = await registerUser(app);
  const subject = await registerUser(app);
  const { serverId } = await makeServer(app, observer);
  await addMember(app, serverId, subject.id);
  return { subject, observer, watching: await connect(observer), serverId };
}

const updatesOf = (c: GatewayClient, userId: string) =>
  c.frames
    .filter((f): f is DispatchFrame<'PRESENCE_UPDATE'> => f.t === 'PRESENCE_UPDATE')
    .map((f) => f.d)
    .filter((d) => d.user_id === userId);

async function nextUpdate(c: GatewayClient, userId: string, count: number): Promise<PresenceObject> {
  await c.waitForFrames(
    count,
    (f) => f.t === 'PRESENCE_UPDATE' && (f.d as PresenceObject).user_id === userId,
  );
  return updatesOf(c, userId)[count - 1] as PresenceObject;
}

describe('presence', () => {
  it('online with the first connection, offline only when the last one ends', async () => {
    const { subject, watching } = await pair();
    const first = await connect(subject);
    expect(await nextUpdate(watching, subject.id, 1)).toEqual({
      user_id: subject.id,
      status: 'online',
      activity: null,
    });
    const second = await connect(subject);
    first.close();
    // A status change is the marker: had closing `first` sent offline, it would come before it.
    expect(await second.command('presence_update', { status: 'dnd' })).toMatchObject({ ok: true });
    expect(await nextUpdate(watching, subject.id, 2)).toMatchObject({ status: 'dnd' });
    second.close();
    expect(await nextUpdate(watching, subject.id, 3)).toEqual({
      user_id: subject.id,
      status: 'offline',
      activity: null,
    });
    expect(updatesOf(watching, subject.id)).toHaveLength(3);
  });

  it('an activity travels with the status; the other sessions of the user learn it too', async () => {
    const { subject, watching } = await pair();
    const a = await connect(subject);
    const b = await connect(subject);
    const ack = await a.command('presence_update', {
      status: 'idle',
      activity: { type: 'playing', name: 'chess' },
    });
    expect(ack).toEqual({
      ok: true,
      presence: { user_id: subject.id, status: 'idle', activity: { type: 'playing', name: 'chess' } },
    });
    expect(await nextUpdate(watching, subject.id, 2)).toMatchObject({
      status: 'idle',
      activity: { name: 'chess' },
    });
    expect(await nextUpdate(b, subject.id, 1)).toMatchObject({ status: 'idle' });
  });

  it('invisible users appear offline to others (and in READY), but not to themselves', async () => {
    const { subject, observer, watching } = await pair();
    const own = await connect(subject);
    await nextUpdate(watching, subject.id, 1);
    await own.command('presence_update', { status: 'invisible' });
    expect(await nextUpdate(watching, subject.id, 2)).toMatchObject({ status: 'offline', activity: null });
    expect(await nextUpdate(own, subject.id, 1)).toMatchObject({ status: 'invisible' });

    const late = await connect(observer);
    const ready = late.frames[0] as DispatchFrame<'READY'>;
    expect(ready.d.presences.find((p) => p.user_id === subject.id)).toBeUndefined();
    await own.command('presence_update', { status: 'online' });
    expect(await nextUpdate(watching, subject.id, 3)).toMatchObject({ status: 'online' });
  });

  it('READY lists who is online among friends and server-mates', async () => {
    const { subject, observer } = await pair();
    await connect(subject);
    const c = await connect(observer);
    const ready = c.frames[0] as DispatchFrame<'READY'>;
    expect(ready.d.presences).toContainEqual({ user_id: subject.id, status: 'online', activity: null });
  });

  it('goes only to people who share a server or are friends', async () => {
    const subject = await registerUser(app);
    const friend = await registerUser(app);
    const stranger = await registerUser(app);
    expect(
      (
        await api(app, 'PUT', `/users/@me/relationships/${friend.id}`, {
          token: subject.token,
          body: { status: 'friend' },
        })
      ).status,
    ).toBeLessThan(300);
    expect(
      (
        await api(app, 'PUT', `/users/@me/relationships/${subject.id}`, {
          token: friend.token,
          body: { status: 'friend' },
        })
      ).status,
    ).toBeLessThan(300);
    const friendClient = await connect(friend);
    const strangerClient = await connect(stranger);
    const own = await connect(subject);
    await own.command('presence_update', { status: 'dnd' });
    await nextUpdate(friendClient, subject.id, 2);
    // The stranger's own status change reaches them after anything sent before it.
    await strangerClient.command('presence_update', { status: 'idle' });
    await nextUpdate(strangerClient, stranger.id, 1);
    expect(updatesOf(strangerClient, subject.id)).toEqual([]);
  });

  it('stays online past the connection expiry while connected: each heartbeat refreshes every connection', async () => {
    const { subject, watching } = await pair();
    const first = await connect(subject);
    await connect(subject);
    expect(await nextUpdate(watching, subject.id, 1)).toMatchObject({ status: 'online' });
    // Expiry is 2.5 heartbeats (1 s here): without a refresh the sweep takes both connections.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(updatesOf(watching, subject.id)).toHaveLength(1);
    // Each was refreshed, not just the user: closing one leaves the other keeping the user online.
    first.close();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(updatesOf(watching, subject.id)).toHaveLength(1);
  }, 20000);

  it('a user goes offline when the gateway process holding their connection dies', async () => {
    const { subject, watching } = await pair();
    const gatewayC = spawnEntry('gateway/main.ts', {
      ...configEnv(app.config),
      PLEXICHAT_GATEWAY__PORT: '0',
    });
    try {
      const port = (await gatewayC.waitFor(/GATEWAY_LISTENING (\d+)/))[1] as string;
      await connect(subject, `http://127.0.0.1:${port}`);
      expect(await nextUpdate(watching, subject.id, 1)).toMatchObject({ status: 'online' });
      await gatewayC.kill('SIGKILL');
      // Its heartbeat stops; this process's sweep expires the connection.
      expect(await nextUpdate(watching, subject.id, 2)).toMatchObject({ status: 'offline' });
    } finally {
      await gatewayC.kill('SIGKILL');
    }
  });

  it('takes offline (a status of data-types.txt) as invisible, and an activity without a type as playing', async () => {
    const { subject, watching } = await pair();
    const own = await connect(subject);
    await nextUpdate(watching, subject.id, 1);
    expect(await own.command('presence_update', { status: 'offline' })).toMatchObject({
      ok: true,
      presence: { status: 'invisible' },
    });
    expect(await nextUpdate(watching, subject.id, 2)).toMatchObject({ status: 'offline' });
    expect(
      await own.command('presence_update', { status: 'dnd', activity: { name: 'focusing' } }),
    ).toMatchObject({
      ok: true,
      presence: { status: 'dnd', activity: { type: 'playing', name: 'focusing' } },
    });
    expect(await nextUpdate(watching, subject.id, 3)).toMatchObject({
      status: 'dnd',
      activity: { type: 'playing', name: 'focusing' },
    });
    // Discord's activity numbers: 2 is listening.
    expect(
      await own.command('presence_update', { status: 'online', activity: { type: 2, name: 'music' } }),
    ).toMatchObject({ ok: true, presence: { activity: { type: 'listening', name: 'music' } } });
    expect(
      await own.command('presence_update', { status: 'online', activity: { type: 9, name: 'x' } }),
    ).toMatchObject({ ok: false, errors: { 'activity.type': expect.any(String) } });
  });

  it('refuses a bad presence_update with the field named', async () => {
    const { subject } = await pair();
    const c = await connect(subject);
    // Worded as the REST routes' 400s: the field named bare, the message listing the bad fields.
    expect(await c.command('presence_update', { status: 'asleep' })).toEqual({
      ok: false,
      code: 'validation_error',
      message: 'Invalid payload: status',
      errors: { status: 'status must be one of [online, idle, dnd, invisible]' },
    });
    expect(
      await c.command('presence_update', { status: 'idle', activity: { type: 'playing', name: '' } }),
    ).toMatchObject({
      ok: false,
      errors: { 'activity.name': expect.any(String) },
    });
    expect(await c.command('presence_update', 'garbage')).toMatchObject({
      ok: false,
      code: 'validation_error',
    });
  });
});

describe('request_members', () => {
  it('answers members matching a prefix with their presences; 404 outside the server', async () => {
    const { subject, observer, serverId } = await pair();
    await connect(subject);
    const c = await connect(observer);
    const prefix = subject.username.slice(0, 6);
    const ack = await c.command('request_members', { server_id: serverId, query: prefix });
    expect(ack.ok).toBe(true);
    expect((ack.members as { user: { id: string } }[]).map((m) => m.user.id)).toContain(subject.id);
    expect(ack.presences).toContainEqual({ user_id: subject.id, status: 'online', activity: null });
    const outsider = await connect(await registerUser(app));
    expect(await outsider.command('request_members', { server_id: serverId })).toMatchObject({
      ok: false,
      code: 'unknown_server',
    });
  });
});
