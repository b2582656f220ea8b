/**
 * The contract sweep's less-trodden corners: gateway dispatch families, voice, 404 rather than 403,
 * timeouts, odd status codes, list paging, sessions ending, resuming and losing sight. See harness.ts
 * for what the sweep is and how to run it against another instance.
 */
import crypto from 'node:crypto';
import { enableMfa, totpCode } from '../helpers/accounts.js';
import { tryVoiceCommand } from '../helpers/voice-client.js';
import {
  allNotFound,
  bits,
  GHOST,
  joinServer,
  makeChannel,
  makeRole,
  overwrite,
  ownerAndMember,
  ownerWithServer,
  P,
  PNG_DATA_URL,
  register,
  type Route,
  send,
  sendWithFile,
  sessionOf,
} from './fixtures.js';
import {
  acked,
  app,
  call,
  closedBy,
  connect,
  formatsEverywhere,
  frameOf,
  gateway,
  postRaw,
  sweep,
  voiceState,
} from './harness.js';
import { auditEntries, checkChannel, checkServer, idsOf, type Json, rateLimitHeaders } from './shapes.js';

describe('less-trodden corners', () => {
  sweep(
    'gateway dispatch families: CHANNEL_*, SERVER_*, SERVER_MEMBER_*, ROLE_*, THREAD_*, RELATIONSHIP_*, NOTIFICATION_CREATE',
    async (s) => {
      const { owner, server, general } = await ownerWithServer(s);
      const m = await register(s);
      const gwOwner = await connect(owner);
      const gwM = await connect(m);
      await joinServer(m, owner, general.id);
      await frameOf(s, gwM, 'SERVER_CREATE', undefined, 10000, 'joining sends SERVER_CREATE to the joiner');
      const wait = (client: typeof gwM, t: string) => frameOf(s, client, t);
      const added = await wait(gwOwner, 'SERVER_MEMBER_ADD');
      s.ok(JSON.stringify(added ?? {}).includes(m.id), 'SERVER_MEMBER_ADD names the member');
      const ch = await makeChannel(owner, server.id, 'events');
      const created = await wait(gwM, 'CHANNEL_CREATE');
      if (created) checkChannel(s, created, 'CHANNEL_CREATE');
      await call('PATCH', `/channels/${ch.id}`, owner, { topic: 'changed' });
      await wait(gwM, 'CHANNEL_UPDATE');
      await call('PATCH', `/servers/${server.id}`, owner, { description: 'changed' });
      const updated = await wait(gwM, 'SERVER_UPDATE');
      if (updated) checkServer(s, updated, 'SERVER_UPDATE');
      const role = await makeRole(owner, server.id, 'r');
      await wait(gwM, 'ROLE_CREATE');
      await call('PATCH', `/servers/${server.id}/roles/${role.id}`, owner, { name: 'r2' });
      await wait(gwM, 'ROLE_UPDATE');
      await call('PUT', `/servers/${server.id}/members/${m.id}/roles/${role.id}`, owner);
      await wait(gwM, 'SERVER_MEMBER_UPDATE');
      await call('DELETE', `/servers/${server.id}/roles/${role.id}`, owner);
      await wait(gwM, 'ROLE_DELETE');
      const thread = (await call('POST', `/channels/${ch.id}/threads`, owner, { name: 'th' })).body;
      const th = await wait(gwM, 'THREAD_CREATE');
      s.eq(th?.id, thread?.id, 'THREAD_CREATE is the thread');
      await call('DELETE', `/channels/${ch.id}`, owner);
      await wait(gwM, 'CHANNEL_DELETE');
      await send(owner, general.id, { content: `ping <@${m.id}>` });
      await wait(gwM, 'NOTIFICATION_CREATE');
      await call('PUT', `/users/@me/relationships/${owner.id}`, m, { status: 'friend' });
      const rel = await gwOwner
        .waitForFrames(1, (f) => f.t.startsWith('RELATIONSHIP_'), 5000)
        .catch(() => []);
      s.ok(rel.length > 0, 'a friend request sends a RELATIONSHIP_* dispatch');
      await call('DELETE', `/servers/${server.id}/members/${m.id}`, owner);
      await wait(gwOwner, 'SERVER_MEMBER_REMOVE');
      // The removed member learns it (Discord sends GUILD_DELETE; SERVER_MEMBER_REMOVE naming them does too).
      const gone = await gwM
        .waitForFrames(
          1,
          (f) =>
            f.t === 'SERVER_DELETE' || (f.t === 'SERVER_MEMBER_REMOVE' && JSON.stringify(f.d).includes(m.id)),
          5000,
        )
        .catch(() => []);
      s.ok(gone.length > 0, 'the kicked member is told');
    },
  );

  sweep(
    'voice: VOICE_SERVER_UPDATE {endpoint, token, router_rtp_capabilities}; /voice signaling acks',
    async (s) => {
      const { owner, server } = await ownerWithServer(s);
      const vc = await makeChannel(owner, server.id, 'talk', 'voice');
      const gw = await connect(owner);
      await acked(s, gw, 'voice_state_update', voiceState(vc.id));
      const d: Json = (await frameOf(s, gw, 'VOICE_SERVER_UPDATE')) ?? {};
      s.ok(
        typeof d.endpoint === 'string' && typeof d.token === 'string' && d.router_rtp_capabilities,
        `VOICE_SERVER_UPDATE ${JSON.stringify(d).slice(0, 200)}`,
      );
      await frameOf(s, gw, 'VOICE_STATE_UPDATE', undefined, 5000, 'VOICE_STATE_UPDATE dispatched');
      // API.md names the namespace, not the socket.io path: VOICE_SERVER_UPDATE carries it as `path`
      // (README, Decisions: voice signaling's path).
      s.ok(typeof d.path === 'string', 'VOICE_SERVER_UPDATE names the socket.io path of /voice');
      s.eq(await tryVoiceCommand(d, d.path as string), 'ok', '/voice create_transport');
      // A client that read only API.md connects to `${endpoint}/voice` on socket.io's default path.
      await gw.command('voice_state_update', voiceState(null));
      await gw.command('voice_state_update', voiceState(vc.id));
      const [again] = await gw
        .waitForFrames(2, (f) => f.t === 'VOICE_SERVER_UPDATE', 5000)
        .then((frames) => frames.slice(1))
        .catch(() => []);
      s.eq(
        await tryVoiceCommand((again?.d ?? {}) as Json, undefined),
        'ok',
        '/voice create_transport on socket.io’s default path',
      );
      await gw.command('voice_state_update', voiceState(null));
    },
  );

  sweep(
    '404 rather than 403 on every route of a server or channel the caller cannot see',
    60_000,
    async (s) => {
      const { owner, m: member, server, general } = await ownerAndMember(s);
      const outsider = await register(s);
      const hidden = await makeChannel(owner, server.id, 'hidden');
      const msg = (await send(owner, hidden.id, { content: 'secret' })).body;
      const role = await makeRole(owner, server.id, 'r');
      await overwrite(owner, hidden.id, server.id, P.VIEW_CHANNEL);
      const thumbs = encodeURIComponent('👍');
      const channelRoutes: Route[] = [
        ['GET', `/channels/${hidden.id}`],
        ['PATCH', `/channels/${hidden.id}`, { name: 'x' }],
        ['DELETE', `/channels/${hidden.id}`],
        ['PUT', `/channels/${hidden.id}/permissions/${member.id}`, { type: 'member', allow: '0', deny: '0' }],
        ['GET', `/channels/${hidden.id}/messages`],
        ['POST', `/channels/${hidden.id}/messages`, { content: 'x' }],
        ['GET', `/channels/${hidden.id}/messages/${msg.id}`],
        ['PATCH', `/channels/${hidden.id}/messages/${msg.id}`, { content: 'x' }],
        ['DELETE', `/channels/${hidden.id}/messages/${msg.id}`],
        ['POST', `/channels/${hidden.id}/messages/bulk-delete`, { messages: [msg.id, general.id] }],
        ['GET', `/channels/${hidden.id}/pins`],
        ['PUT', `/channels/${hidden.id}/pins/${msg.id}`],
        ['PUT', `/channels/${hidden.id}/messages/${msg.id}/reactions/${thumbs}/@me`],
        ['GET', `/channels/${hidden.id}/messages/${msg.id}/reactions/${thumbs}`],
        ['POST', `/channels/${hidden.id}/typing`],
        ['POST', `/channels/${hidden.id}/messages/${msg.id}/threads`, { name: 't' }],
        ['POST', `/channels/${hidden.id}/threads`, { name: 't' }],
        ['POST', `/channels/${hidden.id}/invites`, {}],
        ['GET', `/channels/${hidden.id}/webhooks`],
        ['POST', `/channels/${hidden.id}/webhooks`, { name: 'w' }],
      ];
      await allNotFound(s, member, 'member without VIEW_CHANNEL', channelRoutes);
      await allNotFound(s, outsider, 'outsider', channelRoutes);
      await allNotFound(s, outsider, 'outsider', [
        ['POST', `/servers/${server.id}/channels`, { name: 'x', channel_type: 'text' }],
        ['GET', `/servers/${server.id}/members/${owner.id}`],
        ['PATCH', `/servers/${server.id}/members/${member.id}`, { nick: 'x' }],
        ['DELETE', `/servers/${server.id}/members/${member.id}`],
        ['PUT', `/servers/${server.id}/bans/${member.id}`, {}],
        ['DELETE', `/servers/${server.id}/bans/${member.id}`],
        ['POST', `/servers/${server.id}/roles`, { name: 'x' }],
        ['PATCH', `/servers/${server.id}/roles/${role.id}`, { name: 'x' }],
        ['DELETE', `/servers/${server.id}/roles/${role.id}`],
        ['PUT', `/servers/${server.id}/members/${member.id}/roles/${role.id}`],
        ['DELETE', `/servers/${server.id}/members/${member.id}/roles/${role.id}`],
        ['POST', `/servers/${server.id}/emojis`, { name: 'xx', image: PNG_DATA_URL }],
        ['GET', `/servers/${server.id}/reports`],
        ['GET', `/servers/${server.id}/automod/rules`],
        [
          'POST',
          `/servers/${server.id}/automod/rules`,
          { name: 'x', trigger_type: 'keyword', trigger: { keywords: ['x'] }, actions: [{ type: 'block' }] },
        ],
      ]);
      // Reporting what one cannot see: as if it did not exist.
      s.error(
        await call('POST', '/reports', outsider, { target_type: 'message', target_id: msg.id, reason: 'x' }),
        404,
        'reporting a message one cannot see',
      );
    },
  );

  sweep('a timed-out member keeps only VIEW_CHANNEL and READ_MESSAGE_HISTORY', async (s) => {
    const { owner, m, server, general } = await ownerAndMember(s);
    const msg = (await send(owner, general.id, { content: 'react to me' })).body;
    await call('PATCH', `/servers/${server.id}/members/${m.id}`, owner, {
      communication_disabled_until: Math.floor(Date.now() / 1000) + 600,
    });
    s.status(await call('GET', `/channels/${general.id}`, m), 200, 'timed out: view the channel');
    s.status(await call('GET', `/channels/${general.id}/messages`, m), 200, 'timed out: read history');
    s.error(
      await call(
        'PUT',
        `/channels/${general.id}/messages/${msg.id}/reactions/${encodeURIComponent('👍')}/@me`,
        m,
      ),
      403,
      'timed out: react',
    );
    s.error(await call('POST', `/channels/${general.id}/invites`, m, {}), 403, 'timed out: create an invite');
    s.error(
      await call('POST', `/channels/${general.id}/threads`, m, { name: 't' }),
      403,
      'timed out: start a thread',
    );
    s.error(await call('POST', `/channels/${general.id}/typing`, m), 403, 'timed out: typing');
    const member = (await call('GET', `/servers/${server.id}/members/${m.id}`, owner)).body;
    s.ok(
      JSON.stringify(member).match(/"(communication_disabled_until|timeout_until)":\d+/),
      `the member shows its timeout: ${JSON.stringify(member)}`,
    );
  });

  sweep(
    'status codes: 413, 415, embeds up to 10, multipart sends, invites used up, rate-limit headers on writes',
    async (s) => {
      const { owner, general } = await ownerWithServer(s);
      const m = await register(s);
      const messages = `/channels/${general.id}/messages`;
      const huge = JSON.stringify({ content: 'x'.repeat(5 * 1024 * 1024) });
      const big = await postRaw(messages, owner, huge, 'application/json');
      s.ok(big.status === 413, `a 5 MiB JSON body: ${big.status}`);
      const text = await postRaw(messages, owner, 'hello', 'text/plain');
      s.ok(text.status === 415, `a text/plain body: ${text.status} ${await text.text()}`);
      const embed = { title: 't', description: 'd' };
      const ten = await send(owner, general.id, { embeds: Array.from({ length: 10 }, () => embed) });
      s.ok(ten.status < 300, `10 embeds: ${ten.status}`);
      s.eq(ten.body?.embeds?.length, 10, 'embeds kept');
      s.invalid(
        await send(owner, general.id, { embeds: Array.from({ length: 11 }, () => embed) }),
        '11 embeds',
        'embeds',
      );
      const multi = await sendWithFile(owner, general.id, 'with a file');
      s.ok(multi.status < 300, `multipart send: ${multi.status} ${JSON.stringify(multi.body).slice(0, 200)}`);
      s.eq([multi.body?.content, multi.body?.attachments?.length], ['with a file', 1], 'multipart message');
      const once = await call('POST', `/channels/${general.id}/invites`, owner, { max_uses: 1 });
      s.ok(
        (await call('POST', `/invites/${once.body.code}`, m)).status < 300,
        'first use of a one-use invite',
      );
      const third = await register(s);
      const used = await call('POST', `/invites/${once.body.code}`, third);
      s.oneOf(used, [404, 410], 'a used-up invite');
      const write = await call('POST', `/channels/${general.id}/typing`, owner);
      rateLimitHeaders(s, write, 'POST typing');
      const notFound = await call('GET', `/channels/${GHOST}/messages`, owner);
      s.ok(
        notFound.headers.get('x-ratelimit-limit') !== null,
        'a 404 of a limited route lacks X-RateLimit-Limit',
      );
      // Avatar via upload.
      const avatar = await call('PATCH', '/users/@me', owner, { avatar: PNG_DATA_URL });
      s.status(avatar, 200, 'PATCH /users/@me avatar');
      s.ok(/^https?:\/\//.test(avatar.body?.avatar_url ?? ''), `avatar_url ${avatar.body?.avatar_url}`);
    },
  );

  sweep(
    'lists page as API.md says: default 50, before newest first, after oldest first',
    60_000,
    async (s) => {
      const { owner, server } = await ownerWithServer(s);
      // 55 audit entries: roles and channels created.
      for (let i = 0; i < 28; i++)
        await call('POST', `/servers/${server.id}/roles`, owner, { name: `r${i}`, permissions: '0' });
      for (let i = 0; i < 27; i++)
        await call('POST', `/servers/${server.id}/channels`, owner, { name: `c${i}`, channel_type: 'text' });
      const list = async (q: string) => {
        const res = await call('GET', `/servers/${server.id}/audit-logs${q}`, owner);
        return (auditEntries(res.body) ?? []).map((e) => e.id as string);
      };
      const first = await list('');
      s.eq(first.length, 50, 'audit log default limit');
      const desc = [...first].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1));
      s.eq(first, desc, 'audit log newest first');
      const all = await list('?limit=100');
      s.ok(all.length >= 55, `audit log limit=100 gave ${all.length}`);
      const oldest = all.at(-1)!;
      const after = await list(`?after=${oldest}&limit=3`);
      s.eq(after, [...all].reverse().slice(1, 4), 'audit log after: oldest first');
      const before = await list(`?before=${all[2]}&limit=2`);
      s.eq(before, all.slice(3, 5), 'audit log before: newest first');
      s.invalid(
        await call('GET', `/servers/${server.id}/audit-logs?limit=101`, owner),
        'audit log limit=101',
        'limit',
      );
    },
  );

  sweep(
    'sessions that end close their gateway connections: logout, password change, deletion (with 2FA)',
    async (s) => {
      const a = await register(s);
      // Logout: the calling session's connection.
      const out = await sessionOf(a);
      s.ok(
        await closedBy(out.token, () => call('POST', '/auth/logout', out)),
        'a logged-out session keeps its gateway connection',
      );
      // Password change: the other sessions' connections.
      const other = await sessionOf(a);
      const changed = 'changed-password-42';
      s.ok(
        await closedBy(other.token, () =>
          call('PUT', '/users/@me/password', a, { current_password: a.password, password: changed }),
        ),
        'another session keeps its gateway connection after a password change',
      );
      a.password = changed;
      const { secret } = await enableMfa(app, a);
      const deleted = closedBy(a.token, async () => {
        s.invalid(
          await call('DELETE', '/users/@me', a, { password: a.password }),
          'deletion without the 2FA code',
          'code',
        );
        s.status(
          await call('DELETE', '/users/@me', a, { password: a.password, code: await totpCode(secret) }),
          204,
          'deletion with the code',
        );
      });
      s.ok(await deleted, "a deleted account's gateway connection stays open");
    },
  );
});

describe('more corners', () => {
  sweep("resuming another user's session, invisible presence, role-based loss of VIEW_CHANNEL", async (s) => {
    const { owner, m, server, general } = await ownerAndMember(s);
    const gwOwner = await connect(owner);
    const ownerSession = (gwOwner.frames[0]!.d as Json).session_id as string;
    // Someone else's session id is not a way into their events.
    const thief = await gateway(app.origin, { token: m.token, session_id: ownerSession, seq: 1 });
    s.eq(
      thief.frames.map((f) => f.t).slice(0, 2),
      ['INVALID_SESSION', 'READY'],
      "resuming another user's session",
    );
    s.eq(
      (thief.frames.find((f) => f.t === 'READY')?.d as Json)?.user?.id,
      m.id,
      "the READY is the caller's own",
    );
    thief.close();

    const gwM = await connect(m);
    await acked(s, gwM, 'presence_update', { status: 'invisible' }, 'presence_update invisible');
    const seen = await frameOf(
      s,
      gwOwner,
      'PRESENCE_UPDATE',
      (d) => JSON.stringify(d).includes(m.id) && d.status !== 'online',
    );
    s.eq(seen?.status, 'offline', 'others see an invisible user as offline');

    // Sight through a role: taking the role away stops the channel's events at once.
    const ch = await makeChannel(owner, server.id, 'club');
    const role = await makeRole(owner, server.id, 'club');
    await overwrite(owner, ch.id, server.id, P.VIEW_CHANNEL);
    await overwrite(owner, ch.id, role.id, 0n, P.VIEW_CHANNEL);
    await call('PUT', `/servers/${server.id}/members/${m.id}/roles/${role.id}`, owner);
    await frameOf(s, gwM, 'CHANNEL_CREATE', (d) => d.id === ch.id, 5000, 'gaining sight: no CHANNEL_CREATE');
    const msg = (await send(owner, ch.id, { content: 'members only' })).body;
    const arrived = "a visible channel's message did not arrive";
    await frameOf(s, gwM, 'MESSAGE_CREATE', (d) => d.id === msg.id, 5000, arrived);
    s.status(
      await call('DELETE', `/servers/${server.id}/members/${m.id}/roles/${role.id}`, owner),
      204,
      'take the role',
    );
    await send(owner, ch.id, { content: 'after the role went' });
    await call(
      'PUT',
      `/channels/${ch.id}/messages/${msg.id}/reactions/${encodeURIComponent('👀')}/@me`,
      owner,
    );
    await call('POST', `/channels/${ch.id}/typing`, owner);
    const marker = (await send(owner, general.id, { content: 'marker' })).body;
    await gwM.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as Json).id === marker.id);
    const leaked = gwM.frames
      .filter(
        (f) =>
          JSON.stringify(f.d).includes(ch.id) &&
          f.t !== 'CHANNEL_DELETE' &&
          f.t !== 'CHANNEL_CREATE' &&
          f.s > 0,
      )
      .filter(
        (f) =>
          ['MESSAGE_CREATE', 'MESSAGE_REACTION_ADD', 'TYPING_START'].includes(f.t) &&
          (f.d as Json).content !== 'members only',
      );
    s.eq(
      leaked.map((f) => f.t),
      [],
      'events of a channel the member no longer sees',
    );
  });

  sweep('PIN_MESSAGES alone pins; registering with an invite joins; anonymous invite preview', async (s) => {
    const { owner, m, server, general } = await ownerAndMember(s);
    const pinner = await makeRole(owner, server.id, 'pinner', bits(P.PIN_MESSAGES));
    await call('PUT', `/servers/${server.id}/members/${m.id}/roles/${pinner.id}`, owner);
    const msg = (await send(owner, general.id, { content: 'pin me' })).body;
    s.status(await call('PUT', `/channels/${general.id}/pins/${msg.id}`, m), 204, 'PIN_MESSAGES pins');
    s.error(
      await call('DELETE', `/channels/${general.id}/messages/${msg.id}`, m),
      403,
      'PIN_MESSAGES does not delete',
    );

    const invite = (await call('POST', `/channels/${general.id}/invites`, owner, {})).body;
    const anon = await call('GET', `/invites/${invite.code}`);
    s.oneOf(anon, [200, 401], 'anonymous invite preview');
    const username = `cs_${crypto.randomBytes(5).toString('hex')}`;
    const reg = await call('POST', '/auth/register', null, {
      username,
      password: 'pw-long-enough-1',
      invite: invite.code,
    });
    s.status(reg, 201, 'register with an invite');
    const servers = (await call('GET', '/users/@me/servers', { token: reg.body?.token })).body;
    s.eq(idsOf(servers), [server.id], 'registering with an invite joins its server');
    const badInvite = await call('POST', '/auth/register', null, {
      username: `${username}x`,
      password: 'pw-long-enough-1',
      invite: 'no-such-invite',
    });
    s.oneOf(badInvite, [400, 404], 'register with an unknown invite');
    if (badInvite.status === 400) s.invalid(badInvite, 'register with an unknown invite', 'invite');
  });
});

formatsEverywhere(40);
