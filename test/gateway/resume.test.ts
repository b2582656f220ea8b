import type { DispatchFrame } from '../../shared/events/index.js';
import { registerUser } from '../helpers/accounts.js';
import { useTestApp } from '../helpers/app.js';
import { configEnv, testConfig } from '../helpers/config.js';
import type { GatewayClient } from '../helpers/gateway-client.js';
import { spawnEntry, type RoleProcess } from '../helpers/processes.js';
import { addMember } from '../api/servers/helpers.js';
import {
  connectTo,
  contents,
  hide,
  memberWithChannel,
  room as roomOf,
  say as sayIn,
  type Room,
} from './resume-helpers.js';

const BUFFER = 12;
// Long enough for BUFFER + 2 sends through the pipeline on a loaded machine (the buffer test must
// outrun the window), short enough for the expiry test to wait it out.
const WINDOW_SECONDS = 8;

let gatewayB: RoleProcess;
let originB: string;
const clients: GatewayClient[] = [];

const app = useTestApp(
  {
    config: testConfig({
      gateway: {
        resume_buffer_size: BUFFER,
        resume_window_seconds: WINDOW_SECONDS,
        presence_heartbeat_seconds: 0.5,
      },
    }),
  },
  60000,
);
beforeAll(async () => {
  gatewayB = spawnEntry('gateway/main.ts', { ...configEnv(app.config), PLEXICHAT_GATEWAY__PORT: '0' });
  originB = `http://127.0.0.1:${(await gatewayB.waitFor(/GATEWAY_LISTENING (\d+)/))[1]}`;
}, 60000);

afterAll(async () => {
  for (const c of clients) c.close();
  await gatewayB?.kill();
});

const room = () => roomOf(app);
const connect = (origin: string, auth: Record<string, unknown>, resuming = false) =>
  connectTo(clients, origin, auth, resuming);
const say = (r: Room, content: string, channelId = r.channelId, user = r.owner) =>
  sayIn(app, r, content, channelId, user);

/** Drops the connection and waits until the gateway that held it noticed. */
async function drop(c: GatewayClient): Promise<{ sessionId: string; seq: number }> {
  const ready = c.frames.find((f) => f.t === 'READY') as DispatchFrame<'READY'>;
  const seq = c.lastSeq();
  c.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { sessionId: ready.d.session_id, seq };
}

describe('resume', () => {
  it('replays exactly the missed events, in order, with contiguous seqs, then RESUMED, then live ones', async () => {
    const r = await room();
    const first = await connect(app.origin, { token: r.owner.token });
    await say(r, 'seen-1');
    await first.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    const { sessionId, seq } = await drop(first);

    for (const text of ['missed-1', 'missed-2', 'missed-3']) await say(r, text);
    const again = await connect(app.origin, { token: r.owner.token, session_id: sessionId, seq }, true);
    expect(again.frames.map((f) => [f.t, f.s])).toEqual([
      ['MESSAGE_CREATE', seq + 1],
      ['MESSAGE_CREATE', seq + 2],
      ['MESSAGE_CREATE', seq + 3],
      ['RESUMED', seq + 4],
    ]);
    expect(contents(again.frames)).toEqual(['missed-1', 'missed-2', 'missed-3']);
    expect(again.frames.at(-1)?.d).toEqual({ replayed: 3 });

    await say(r, 'live-1');
    const [live] = await again.waitForFrames(4, (f) => f.t === 'MESSAGE_CREATE');
    expect(again.frames.at(-1)).toMatchObject({ t: 'MESSAGE_CREATE', s: seq + 5 });
    expect(live).toBeDefined();
  });

  it('replays events the client never got even before the drop, when it resumes from an older seq', async () => {
    const r = await room();
    const c = await connect(app.origin, { token: r.owner.token });
    for (const text of ['a', 'b', 'c']) await say(r, text);
    await c.waitForFrames(3, (f) => f.t === 'MESSAGE_CREATE');
    const { sessionId, seq } = await drop(c);
    // Pretend only READY (s = 1) arrived: everything after it comes again, as it was numbered. Not
    // only the three messages: an event of the room's set-up that the gateway read after the
    // session opened followed READY (held while READY was built), and it is replayed too.
    const after = c.frames.slice(1);
    const again = await connect(app.origin, { token: r.owner.token, session_id: sessionId, seq: 1 }, true);
    expect(again.frames.map((f) => [f.t, f.s])).toEqual([
      ...after.map((f) => [f.t, f.s]),
      ['RESUMED', seq + 1],
    ]);
    expect(contents(again.frames)).toEqual(['a', 'b', 'c']);
  });

  it('resumes on the other gateway process, and back, without losing or repeating anything', async () => {
    const r = await room();
    const onA = await connect(app.origin, { token: r.owner.token });
    await say(r, 'one');
    await onA.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    const dropped = await drop(onA);

    await say(r, 'two');
    await say(r, 'three');
    const onB = await connect(
      originB,
      { token: r.owner.token, session_id: dropped.sessionId, seq: dropped.seq },
      true,
    );
    expect(contents(onB.frames)).toEqual(['two', 'three']);
    expect(onB.frames.map((f) => f.s)).toEqual([dropped.seq + 1, dropped.seq + 2, dropped.seq + 3]);

    await say(r, 'four');
    await onB.waitForFrames(3, (f) => f.t === 'MESSAGE_CREATE');
    const seqOnB = onB.lastSeq();
    onB.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await say(r, 'five');
    const backOnA = await connect(
      app.origin,
      { token: r.owner.token, session_id: dropped.sessionId, seq: seqOnB },
      true,
    );
    expect(contents(backOnA.frames)).toEqual(['five']);
    expect(backOnA.frames.map((f) => [f.t, f.s])).toEqual([
      ['MESSAGE_CREATE', seqOnB + 1],
      ['RESUMED', seqOnB + 2],
    ]);
  });

  it('a resume while the old connection is still open replaces it (the old one is closed)', async () => {
    const r = await room();
    const old = await connect(app.origin, { token: r.owner.token });
    const ready = old.frames[0] as DispatchFrame<'READY'>;
    const closed = new Promise((resolve) => old.socket.once('disconnect', resolve));
    const seq = old.lastSeq();
    const fresh = await connect(originB, { token: r.owner.token, session_id: ready.d.session_id, seq }, true);
    await closed;
    // Under load an event of the room's set-up can follow READY: sent to the old connection after
    // its seq was read, it is replayed before RESUMED (or, read late by this process, follows it).
    // Either way the new connection numbers on from the seq it resumed from.
    const resumedAt = fresh.frames.findIndex((f) => f.t === 'RESUMED');
    expect(fresh.frames[resumedAt]?.d).toEqual({ replayed: resumedAt });
    expect(fresh.frames.map((f) => f.s)).toEqual(fresh.frames.map((_f, i) => seq + 1 + i));
    await say(r, 'after takeover');
    await fresh.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    expect(old.frames.filter((f) => f.t === 'MESSAGE_CREATE')).toHaveLength(0);
  });

  it('does not replay events of a channel the user lost sight of while disconnected', async () => {
    const r = await room();
    const { member, channelId: hidden } = await memberWithChannel(app, r);
    const c = await connect(app.origin, { token: member.token });
    const { sessionId, seq } = await drop(c);

    await hide(app, r, hidden, member.id);
    await say(r, 'secret', hidden);
    await say(r, 'public');
    const again = await connect(app.origin, { token: member.token, session_id: sessionId, seq }, true);
    expect(contents(again.frames)).toEqual(['public']);
  });

  it('INVALID_SESSION then a fresh READY when more events were missed than the buffer keeps', async () => {
    const r = await room();
    const c = await connect(app.origin, { token: r.owner.token });
    const { sessionId, seq } = await drop(c);
    for (let i = 0; i < BUFFER + 2; i += 1) await say(r, `flood-${i}`);
    const again = await connect(app.origin, { token: r.owner.token, session_id: sessionId, seq }, true);
    expect(again.frames.map((f) => [f.t, f.s])).toEqual([
      ['INVALID_SESSION', 0],
      ['READY', 1],
    ]);
    expect(again.frames[0]?.d).toMatchObject({ resumable: false, reason: 'missed events expired' });
    const ready = again.frames[1] as DispatchFrame<'READY'>;
    expect(ready.d.session_id).not.toBe(sessionId);
    await say(r, 'after');
    await again.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    expect(again.frames.at(-1)?.s).toBe(2);
  });

  it('INVALID_SESSION when the resume window has passed', async () => {
    const r = await room();
    const c = await connect(app.origin, { token: r.owner.token });
    const { sessionId, seq } = await drop(c);
    await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 + 700));
    const again = await connect(app.origin, { token: r.owner.token, session_id: sessionId, seq }, true);
    expect(again.frames.map((f) => f.t)).toEqual(['INVALID_SESSION', 'READY']);
  });

  it("INVALID_SESSION for another user's session, an unknown one, or a seq from the future", async () => {
    const r = await room();
    const stranger = await registerUser(app);
    const c = await connect(app.origin, { token: r.owner.token });
    const { sessionId, seq } = await drop(c);

    const theirs = await connect(app.origin, { token: stranger.token, session_id: sessionId, seq }, true);
    expect(theirs.frames.map((f) => f.t)).toEqual(['INVALID_SESSION', 'READY']);
    expect((theirs.frames[1] as DispatchFrame<'READY'>).d.user.id).toBe(stranger.id);

    const unknown = await connect(
      app.origin,
      { token: r.owner.token, session_id: 'ab'.repeat(16), seq: 1 },
      true,
    );
    // The owner's sessions: only the start, as an event of the room's set-up can still follow READY.
    expect(unknown.frames.slice(0, 2).map((f) => f.t)).toEqual(['INVALID_SESSION', 'READY']);

    const future = await connect(
      app.origin,
      { token: r.owner.token, session_id: sessionId, seq: seq + 50 },
      true,
    );
    expect(future.frames.slice(0, 2).map((f) => f.t)).toEqual(['INVALID_SESSION', 'READY']);
  });

  it('a resume with a malformed session_id or seq cannot be honoured either: INVALID_SESSION, then READY', async () => {
    const r = await room();
    for (const auth of [
      { session_id: 'nope', seq: 1 },
      { session_id: 42, seq: 1 },
      { session_id: 'ab'.repeat(16) },
      { session_id: 'ab'.repeat(16), seq: -1 },
      { session_id: 'ab'.repeat(16), seq: '3' },
    ]) {
      const c = await connect(app.origin, { token: r.owner.token, ...auth }, true);
      // Only the start: an event of the room's set-up can still arrive after READY under load.
      expect(c.frames.slice(0, 2).map((f) => [f.t, f.s])).toEqual([
        ['INVALID_SESSION', 0],
        ['READY', 1],
      ]);
    }
  });

  it('without a session_id (absent, null or empty) it is a plain new session: READY alone', async () => {
    const r = await room();
    for (const auth of [{}, { session_id: null, seq: 3 }, { session_id: '' }]) {
      const c = await connect(app.origin, { token: r.owner.token, ...auth });
      expect(c.frames[0]?.t).toBe('READY');
      expect(c.frames.map((f) => f.t)).not.toContain('INVALID_SESSION');
    }
  });
});

describe('ordering across processes', () => {
  it('clients on both processes get a channel’s events in the same order with contiguous seqs', async () => {
    const r = await room();
    const member = await registerUser(app);
    await addMember(app, r.serverId, member.id);
    const onA = await connect(app.origin, { token: r.owner.token });
    const onB = await connect(originB, { token: member.token });
    const sent: string[] = [];
    for (let i = 0; i < 15; i += 1) {
      sent.push(`m${i}`);
      await say(r, `m${i}`, r.channelId, i % 2 === 0 ? r.owner : member);
    }
    await onA.waitForFrames(15, (f) => f.t === 'MESSAGE_CREATE');
    await onB.waitForFrames(15, (f) => f.t === 'MESSAGE_CREATE');
    expect(contents(onA.frames)).toEqual(sent);
    expect(contents(onB.frames)).toEqual(sent);
    for (const c of [onA, onB]) expect(c.frames.map((f) => f.s)).toEqual(c.frames.map((_f, i) => i + 1));
  });
});
