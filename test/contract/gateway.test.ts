/**
 * The contract sweep of the gateway protocol: READY, numbered dispatches, client commands and their
 * acks, resume, and what losing sight or a session does to a connection. See harness.ts for what the
 * sweep is and how to run it against another instance.
 */
import { refusalOf } from '../helpers/gateway-client.js';
import {
  GHOST,
  makeChannel,
  overwrite,
  ownerAndMember,
  ownerWithServer,
  P,
  send,
  sessionOf,
} from './fixtures.js';
import {
  acked,
  app,
  call,
  closedWithin,
  connect,
  formatsEverywhere,
  gateway,
  sweep,
  voiceState,
} from './harness.js';
import { checkMessage, type Json } from './shapes.js';

// Bodies are the checker's `Json` (harness.ts), read field by field: lambdas picking a field return `any`.
/* eslint-disable @typescript-eslint/no-unsafe-return */

describe('gateway', () => {
  sweep('READY first, numbered dispatches, client commands with acks', async (s) => {
    const { owner, m, server, general } = await ownerAndMember(s);
    const gw = await connect(m);
    const gwOwner = await connect(owner);
    const ready = gw.frames[0]!;
    s.eq(ready.t, 'READY', 'the first dispatch');
    s.ok(Number.isInteger(ready.s), `READY.s ${ready.s}`);
    const d = ready.d as Json;
    for (const key of ['session_id', 'user', 'servers', 'channels', 'presences', 'read_states'])
      s.ok(key in d, `READY lacks ${key}`);
    s.eq(d.user?.id, m.id, 'READY.user');
    s.ok(
      d.servers?.some((x: Json) => x.id === server.id),
      'READY.servers lists the server',
    );
    s.ok(
      d.channels?.some((x: Json) => x.id === general.id),
      'READY.channels lists general',
    );

    const sent = (await send(owner, general.id, { content: 'over the gateway', nonce: 'gw-1' })).body;
    const [created] = await gw.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).nonce === 'gw-1',
    );
    checkMessage(s, created!.d, 'MESSAGE_CREATE');
    s.eq((created!.d as Json).id, sent.id, 'MESSAGE_CREATE is the sent message');
    await call('PATCH', `/channels/${general.id}/messages/${sent.id}`, owner, { content: 'changed' });
    await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_UPDATE');
    await call(
      'PUT',
      `/channels/${general.id}/messages/${sent.id}/reactions/${encodeURIComponent('🔥')}/@me`,
      owner,
    );
    await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_REACTION_ADD');
    await call('DELETE', `/channels/${general.id}/messages/${sent.id}`, owner);
    await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_DELETE');
    const seqs = gw.frames.map((f) => f.s);
    s.eq(
      seqs,
      seqs.map((_, i) => seqs[0]! + i),
      's increases by 1',
    );
    for (const f of gw.frames)
      s.ok(
        typeof f.t === 'string' && 'd' in f,
        `a dispatch without {t, s, d}: ${JSON.stringify(f).slice(0, 100)}`,
      );

    // Client commands: acked.
    await acked(s, gw, 'presence_update', { status: 'idle', activity: { name: 'sweeping' } });
    const seen = await gwOwner
      .waitForFrames(
        1,
        (f) =>
          f.t === 'PRESENCE_UPDATE' && ((f.d as Json).user?.id === m.id || (f.d as Json).user_id === m.id),
      )
      .catch(() => []);
    s.ok(seen.length === 1, 'PRESENCE_UPDATE reaches a fellow member');
    s.eq(((seen[0]?.d ?? {}) as Json).status, 'idle', 'PRESENCE_UPDATE.status');
    const badPresence = await gw.command('presence_update', { status: 'sleeping' });
    s.eq(
      [badPresence.ok, typeof badPresence.code, Object.keys(badPresence.errors ?? {})],
      [false, 'string', ['status']],
      'presence_update with a bad status',
    );
    await acked(s, gw, 'typing_start', { channel_id: general.id });
    const typed = await gwOwner.waitForFrames(1, (f) => f.t === 'TYPING_START').catch(() => []);
    s.ok(typed.length === 1, 'TYPING_START reaches the channel');
    const members = await acked(s, gw, 'request_members', { server_id: server.id });
    s.ok(JSON.stringify(members).includes(owner.id), 'request_members answers the members');
    const voiceText = await gw.command('voice_state_update', voiceState(general.id));
    s.eq(
      [voiceText.ok, Object.keys(voiceText.errors ?? {})],
      [false, ['channel_id']],
      'voice_state_update into a text channel',
    );
    await acked(s, gw, 'voice_state_update', voiceState(null), 'voice_state_update leaving');
    const unknownServer = await gw.command('request_members', { server_id: GHOST });
    s.eq(
      [unknownServer.ok, unknownServer.code],
      [false, 'unknown_server'],
      'request_members of an unknown server',
    );
  });

  sweep('resume replays then RESUMED; a bad resume gets INVALID_SESSION and a fresh READY', async (s) => {
    const { owner, general } = await ownerWithServer(s);
    const gw = await connect(owner);
    const sessionId = (gw.frames[0]!.d as Json).session_id as string;
    await send(owner, general.id, { content: 'one' });
    await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    const seq = gw.lastSeq();
    gw.close();
    const missed = [
      (await send(owner, general.id, { content: 'two' })).body.id,
      (await send(owner, general.id, { content: 'three' })).body.id,
    ];
    const resumed = await gateway(
      app.origin,
      { token: owner.token, session_id: sessionId, seq },
      '/gateway',
      (f) => f.t === 'RESUMED',
    );
    const replay = resumed.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => (f.d as Json).id);
    s.eq(replay, missed, 'the missed messages replayed in order');
    const last = resumed.frames.at(-1)!;
    s.eq(last.t, 'RESUMED', 'RESUMED after the replay');
    s.ok(!resumed.frames.some((f) => f.t === 'READY'), 'no READY on a resume');
    const nums = resumed.frames.filter((f) => f.t !== 'RESUMED').map((f) => f.s);
    s.eq(
      nums,
      nums.map((_, i) => seq + 1 + i),
      'replayed frames numbered from seq+1',
    );
    await send(owner, general.id, { content: 'four' });
    const [after] = await resumed.waitForFrames(3, (f) => f.t === 'MESSAGE_CREATE');
    s.ok(after, 'live events after RESUMED');
    const bad = await gateway(app.origin, { token: owner.token, session_id: 'no-such-session', seq: 3 });
    const types = bad.frames.map((f) => f.t);
    s.eq(types.slice(0, 2), ['INVALID_SESSION', 'READY'], 'INVALID_SESSION then a fresh READY');
    const refused = await refusalOf(app.origin, { token: 'nonsense' }).then(
      () => true,
      () => false,
    );
    s.ok(refused, 'a bad token connects to the gateway');
  });

  sweep(
    "losing VIEW_CHANNEL stops that channel's events at once; a revoked session is disconnected",
    async (s) => {
      const { owner, m, server, general } = await ownerAndMember(s);
      const secret = await makeChannel(owner, server.id, 'secret');
      const gw = await connect(m);
      await send(owner, secret.id, { content: 'visible' });
      await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).channel_id === secret.id);
      const hide = await overwrite(owner, secret.id, m.id, P.VIEW_CHANNEL, 0n, 'member');
      s.status(hide, 204, 'hide the channel');
      await send(owner, secret.id, { content: 'hidden' });
      const marker = (await send(owner, general.id, { content: 'marker' })).body;
      await gw.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).id === marker.id);
      const leaked = gw.frames.filter((f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).content === 'hidden');
      s.eq(leaked.length, 0, "a hidden channel's message reached the member");
      s.ok(
        gw.frames.some((f) => f.t === 'CHANNEL_DELETE' && (f.d as Json).id === secret.id),
        'the member is told the channel went away (CHANNEL_DELETE)',
      );

      const sessions = (await call('GET', '/users/@me/sessions', m)).body as Json[];
      const current = sessions.find((x) => x.current);
      const second = await sessionOf(m);
      const disconnected = closedWithin(gw);
      s.status(
        await call('DELETE', `/users/@me/sessions/${current.id}`, second),
        204,
        'revoke the connected session',
      );
      s.ok(await disconnected, "the revoked session's gateway connection stays open");
    },
  );
});

formatsEverywhere(10);
