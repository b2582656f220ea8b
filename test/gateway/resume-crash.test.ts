import type { DispatchFrame } from '../../shared/events/index.js';
import { api } from '../helpers/accounts.js';
import { useTestApp } from '../helpers/app.js';
import { configEnv, testConfig } from '../helpers/config.js';
import type { GatewayClient } from '../helpers/gateway-client.js';
import { spawnEntry, type RoleProcess } from '../helpers/processes.js';
import { connectTo, contents, hide, memberWithChannel, room, say, sessionIdOf } from './resume-helpers.js';

// A gateway process killed with SIGKILL keeps nothing in memory: its sessions resume on another
// process from what Redis holds (the event stream and each session's record of what it was sent).

const WINDOW_SECONDS = 3;

const gateways: RoleProcess[] = [];
const clients: GatewayClient[] = [];

/** Starts a gateway process of its own and returns it with its origin. */
async function gateway(): Promise<{ proc: RoleProcess; origin: string }> {
  const proc = spawnEntry('gateway/main.ts', { ...configEnv(app.config), PLEXICHAT_GATEWAY__PORT: '0' });
  gateways.push(proc);
  const port = (await proc.waitFor(/GATEWAY_LISTENING (\d+)/))[1] as string;
  return { proc, origin: `http://127.0.0.1:${port}` };
}

const connect = (origin: string, auth: Record<string, unknown>, resuming = false) =>
  connectTo(clients, origin, auth, resuming);

/** Waits until the client has seen `n` MESSAGE_CREATE frames. */
const received = (c: GatewayClient, n: number) => c.waitForFrames(n, (f) => f.t === 'MESSAGE_CREATE');

const app = useTestApp(
  {
    config: testConfig({
      gateway: { resume_window_seconds: WINDOW_SECONDS, presence_heartbeat_seconds: 0.5 },
    }),
  },
  60000,
);

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(gateways.map((g) => g.kill('SIGKILL')));
});

describe('resume after the gateway process was killed', () => {
  it('replays every missed event, before and after the crash, exactly once and in order, on another process', async () => {
    const r = await room(app);
    const a = await gateway();
    const b = await gateway();
    const onA = await connect(a.origin, { token: r.owner.token });
    await say(app, r, 'seen');
    await say(app, r, 'lost in flight');
    await received(onA, 2);
    // The client pretends the second message never reached it (sent by A, not received).
    const seen = onA.frames.find((f) => f.t === 'MESSAGE_CREATE') as DispatchFrame;
    const sessionId = sessionIdOf(onA);

    await a.proc.kill('SIGKILL');
    for (const text of ['after-1', 'after-2', 'after-3']) await say(app, r, text);

    const onB = await connect(b.origin, { token: r.owner.token, session_id: sessionId, seq: seen.s }, true);
    expect(onB.frames.map((f) => [f.t, f.s])).toEqual([
      ['MESSAGE_CREATE', seen.s + 1],
      ['MESSAGE_CREATE', seen.s + 2],
      ['MESSAGE_CREATE', seen.s + 3],
      ['MESSAGE_CREATE', seen.s + 4],
      ['RESUMED', seen.s + 5],
    ]);
    expect(contents(onB.frames)).toEqual(['lost in flight', 'after-1', 'after-2', 'after-3']);
    expect(onB.frames.at(-1)?.d).toEqual({ replayed: 4 });

    await say(app, r, 'live on B');
    await received(onB, 5);
    expect(onB.frames.at(-1)).toMatchObject({ t: 'MESSAGE_CREATE', s: seen.s + 6 });

    // B dies too: the session carries on from B's own record, on the in-process gateway.
    const lastOnB = onB.lastSeq();
    await b.proc.kill('SIGKILL');
    await say(app, r, 'after B died');
    const onC = await connect(
      app.origin,
      { token: r.owner.token, session_id: sessionId, seq: lastOnB },
      true,
    );
    expect(onC.frames.map((f) => [f.t, f.s])).toEqual([
      ['MESSAGE_CREATE', lastOnB + 1],
      ['RESUMED', lastOnB + 2],
    ]);
    expect(contents(onC.frames)).toEqual(['after B died']);
  });

  it('replays only what the user may see now: a channel hidden after the crash stays silent, a new one is announced', async () => {
    const r = await room(app);
    const { member, channelId: hidden } = await memberWithChannel(app, r);
    const a = await gateway();
    const onA = await connect(a.origin, { token: member.token });
    const seq = onA.lastSeq();
    await a.proc.kill('SIGKILL');

    await hide(app, r, hidden, member.id);
    await say(app, r, 'secret', hidden);
    const created = await api(app, 'POST', `/servers/${r.serverId}/channels`, {
      token: r.owner.token,
      body: { name: 'brand-new', channel_type: 'text' },
    });
    expect(created.status).toBe(201);
    await say(app, r, 'public');

    const again = await connect(app.origin, { token: member.token, session_id: sessionIdOf(onA), seq }, true);
    expect(contents(again.frames)).toEqual(['public']);
    expect(
      again.frames.some((f) => f.t === 'CHANNEL_CREATE' && (f.d as { id: string }).id === created.body.id),
    ).toBe(true);
    expect(again.frames.map((f) => f.s)).toEqual(again.frames.map((_f, i) => seq + 1 + i));
    expect(again.frames.at(-1)?.t).toBe('RESUMED');
  });

  it('INVALID_SESSION and a fresh READY when the crash is older than the resume window', async () => {
    const r = await room(app);
    const a = await gateway();
    const onA = await connect(a.origin, { token: r.owner.token });
    await say(app, r, 'before');
    await received(onA, 1);
    await a.proc.kill('SIGKILL');
    await say(app, r, 'during');
    await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 + 1000));
    const again = await connect(
      app.origin,
      { token: r.owner.token, session_id: sessionIdOf(onA), seq: onA.lastSeq() },
      true,
    );
    expect(again.frames.map((f) => [f.t, f.s])).toEqual([
      ['INVALID_SESSION', 0],
      ['READY', 1],
    ]);
    expect((again.frames[1] as DispatchFrame<'READY'>).d.session_id).not.toBe(sessionIdOf(onA));
  });
});
