import { sendUntilHeard } from '../helpers/voice-client.js';
import { api } from '../helpers/accounts.js';
import type { TestApp } from '../helpers/app.js';
import { DoomedApis } from '../helpers/doomed-api.js';
import { until } from '../helpers/services.js';
import { VoiceStateStore } from '../../shared/voice-chat/states.js';
import { Permission } from '../../shared/permissions/index.js';
import {
  gateway,
  join,
  joinAndConnect,
  makeRole,
  member,
  pause,
  stateUpdate,
  voiceWorld,
  voiceSuite,
  explainMedia,
} from './voice-helpers.js';

let app: TestApp;
const { gateways, voices } = voiceSuite((started) => (app = started));
const doomed = new DoomedApis(() => app.config);
const dyingBeforeCommit = new DoomedApis(() => app.config, 'outbox-before-commit');
afterAll(() => Promise.all([doomed.killAll(), dyingBeforeCommit.killAll()]));

/** The channel `userId` is in voice in, per the stored voice states (null: not in voice). */
const voiceChannelOf = async (userId: string) =>
  (await new VoiceStateStore(app.rt).get(userId))?.channel_id ?? null;

/** A speaker producing into the channel and a listener receiving it, both connected. */
async function speakerAndListener() {
  const world = await voiceWorld(app);
  const speaker = await member(app, world.serverId);
  const listener = await member(app, world.serverId);
  const ownerGw = await gateway(app, world.owner, gateways);
  const speakerGw = await gateway(app, speaker, gateways);
  const listenerGw = await gateway(app, listener, gateways);
  const { voice: speakerVoice } = await joinAndConnect(speakerGw, world.channelId, voices);
  const { voice: listenerVoice } = await joinAndConnect(listenerGw, world.channelId, voices);
  const sender = await speakerVoice.sendAudio();
  const receiver = await listenerVoice.receive(sender.producerId);
  await sendUntilHeard(sender, receiver, 10, { explain: () => explainMedia(app) });
  return {
    ...world,
    speaker,
    listener,
    ownerGw,
    speakerGw,
    listenerGw,
    speakerVoice,
    listenerVoice,
    sender,
    receiver,
  };
}

describe('voice moderation', () => {
  it('a server-muted member’s audio stops reaching others, and flows again when unmuted', async () => {
    const s = await speakerAndListener();
    const muted = await api(app, 'PATCH', `/servers/${s.serverId}/voice-states/${s.speaker.id}`, {
      token: s.owner.token,
      body: { mute: true },
      headers: { 'x-audit-log-reason': 'too%20loud' },
    });
    expect(muted.status).toBe(200);
    expect(muted.body).toMatchObject({ user_id: s.speaker.id, channel_id: s.channelId, mute: true });
    await stateUpdate(s.listenerGw, s.speaker.id, (d) => d.mute === true);
    // Enforced on the producer: the speaker is told, the listener's consumer pauses.
    await s.speakerVoice.waitForEvent('producer_paused', (p) => p.reason === 'server_mute');
    await s.listenerVoice.waitForEvent('consumer_paused', (p) => p.consumer_id === s.receiver.consumerId);
    await pause(300); // packets already on the wire
    const before = s.receiver.packets();
    await s.sender.send(50);
    await pause(300);
    expect(s.receiver.packets()).toBe(before);

    // Kept on the member: leaving and rejoining does not lift it.
    await join(s.speakerGw, null);
    const rejoined = await join(s.speakerGw, s.channelId);
    expect(rejoined.ack).toMatchObject({ ok: true, voice_state: { mute: true } });
    const audit = await app.rt.models.AuditLog.findOne({
      where: { server_id: s.serverId, action: 'member_update' },
    });
    expect(audit).toMatchObject({ target_id: s.speaker.id, reason: 'too loud' });
    expect(audit?.changes).toEqual([{ key: 'mute', old: false, new: true }]);
  });

  it('unmuting lets the audio through again', async () => {
    const s = await speakerAndListener();
    const path = `/servers/${s.serverId}/voice-states/${s.speaker.id}`;
    await api(app, 'PATCH', path, { token: s.owner.token, body: { mute: true } });
    await s.listenerVoice.waitForEvent('consumer_paused');
    const mark = s.listenerVoice.mark();
    await api(app, 'PATCH', path, { token: s.owner.token, body: { mute: false } });
    await s.listenerVoice.waitForEvent('consumer_resumed', () => true, 10000, mark);
    await sendUntilHeard(s.sender, s.receiver, 10, { explain: () => explainMedia(app) });
  });

  it('a server-deafened member receives nothing', async () => {
    const s = await speakerAndListener();
    const res = await api(app, 'PATCH', `/servers/${s.serverId}/voice-states/${s.listener.id}`, {
      token: s.owner.token,
      body: { deaf: true },
    });
    expect(res.body).toMatchObject({ deaf: true });
    await stateUpdate(s.speakerGw, s.listener.id, (d) => d.deaf === true);
    await s.listenerVoice.waitForEvent('consumer_paused', (p) => p.reason === 'server_deaf');
    await pause(300);
    const before = s.receiver.packets();
    await s.sender.send(50);
    await pause(300);
    expect(s.receiver.packets()).toBe(before);
    // resume_consumer does not get around it.
    expect(await s.listenerVoice.request('resume_consumer', { consumer_id: s.receiver.consumerId })).toEqual({
      ok: true,
      paused: true,
    });
  });

  it('needs MUTE_MEMBERS / DEAFEN_MEMBERS / MOVE_MEMBERS, and names what is missing', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const target = await member(app, serverId);
    const plain = await member(app, serverId);
    const muter = await member(app, serverId, [
      (await makeRole(app, serverId, { position: 1, permissions: Permission.MUTE_MEMBERS })).id,
    ]);
    const targetGw = await gateway(app, target, gateways);
    await join(targetGw, channelId);
    const path = `/servers/${serverId}/voice-states/${target.id}`;
    const as = (who: { token: string }, body: unknown) => api(app, 'PATCH', path, { token: who.token, body });

    expect(await as(plain, { mute: true })).toMatchObject({
      status: 403,
      body: { code: 'missing_permission', permission: 'MUTE_MEMBERS' },
    });
    expect(await as(muter, { deaf: true })).toMatchObject({
      status: 403,
      body: { permission: 'DEAFEN_MEMBERS' },
    });
    expect(await as(muter, { channel_id: null })).toMatchObject({
      status: 403,
      body: { permission: 'MOVE_MEMBERS' },
    });
    expect((await as(muter, { mute: true })).status).toBe(200);
    expect(await as(owner, {})).toMatchObject({ status: 400, body: { code: 'validation_error' } });
    expect(await as(owner, { suppress: false })).toMatchObject({
      status: 400,
      body: { code: 'not_in_stage' },
    });
    const outsider = await voiceWorld(app);
    expect(await as(outsider.owner, { mute: true })).toMatchObject({
      status: 404,
      body: { code: 'unknown_server' },
    });
    expect(
      await api(app, 'PATCH', `/servers/${serverId}/voice-states/${outsider.owner.id}`, {
        token: owner.token,
        body: { mute: true },
      }),
    ).toMatchObject({ status: 404, body: { code: 'unknown_member' } });
  });

  it('MOVE_MEMBERS moves a member (new token for the new channel) and disconnects them', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const second = await api(app, 'POST', `/servers/${serverId}/channels`, {
      token: owner.token,
      body: { name: 'Other', channel_type: 'voice', user_limit: 1 },
    });
    const otherId = second.body.id as string;
    const target = await member(app, serverId);
    const filler = await member(app, serverId);
    const fillerGw = await gateway(app, filler, gateways);
    await join(fillerGw, otherId); // full now: a move ignores the limit
    const targetGw = await gateway(app, target, gateways);
    const { voice } = await joinAndConnect(targetGw, channelId, voices);
    const path = `/servers/${serverId}/voice-states/${target.id}`;
    const updates = targetGw.frames.filter((f) => f.t === 'VOICE_SERVER_UPDATE').length;

    const moved = await api(app, 'PATCH', path, { token: owner.token, body: { channel_id: otherId } });
    expect(moved).toMatchObject({ status: 200, body: { channel_id: otherId, user_id: target.id } });
    const frames = await targetGw.waitForFrames(updates + 1, (f) => f.t === 'VOICE_SERVER_UPDATE');
    expect(frames[frames.length - 1]?.d).toMatchObject({ channel_id: otherId, token: expect.any(String) });
    await voice.waitForEvent('voice_disconnect', (p) => p.reason === 'moved');

    const gone = await api(app, 'PATCH', path, { token: owner.token, body: { channel_id: null } });
    expect(gone).toMatchObject({ status: 200, body: null });
    await stateUpdate(fillerGw, target.id, (d) => d.channel_id === null);
    expect(
      await api(app, 'PATCH', path, { token: owner.token, body: { channel_id: otherId } }),
    ).toMatchObject({
      status: 400,
      body: { code: 'not_in_voice' },
    });
    const actions = (
      await app.rt.models.AuditLog.findAll({ where: { server_id: serverId, target_id: target.id } })
    ).map((a) => a.action);
    expect(actions.sort()).toEqual(['member_disconnect', 'member_move']);
  });

  it('a move and a disconnect commit with their audit entries: an API killed after the commit loses neither', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const second = await api(app, 'POST', `/servers/${serverId}/channels`, {
      token: owner.token,
      body: { name: 'Other', channel_type: 'voice' },
    });
    const otherId = second.body.id as string;
    const target = await member(app, serverId);
    const targetGw = await gateway(app, target, gateways);
    expect((await join(targetGw, channelId)).ack).toMatchObject({ ok: true });
    const path = `/servers/${serverId}/voice-states/${target.id}`;
    const audited = async () =>
      (await app.rt.models.AuditLog.findAll({ where: { server_id: serverId, target_id: target.id } }))
        .map((a) => [a.action, a.changes])
        .sort();

    // The process dies right after the commit: the entry is there, the move not yet...
    await doomed.send(owner.token, 'PATCH', path, { channel_id: otherId });
    expect(await audited()).toEqual([['member_move', [{ key: 'channel_id', old: channelId, new: otherId }]]]);
    expect(await voiceChannelOf(target.id)).toBe(channelId);
    // ...which the relay loop of the workers applies (rows older than RELAY_GRACE_MS, 5 s).
    await until(async () => (await voiceChannelOf(target.id)) === otherId, 'the move', 30000);
    await targetGw.waitForFrames(2, (f) => f.t === 'VOICE_SERVER_UPDATE');

    await doomed.send(owner.token, 'PATCH', path, { channel_id: null });
    expect((await audited()).map(([action]) => action)).toEqual(['member_disconnect', 'member_move']);
    await until(async () => (await voiceChannelOf(target.id)) === null, 'the disconnect', 30000);
  }, 60000);

  it('deleting a server disconnects everyone in its voice channels', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const target = await member(app, serverId);
    const targetGw = await gateway(app, target, gateways);
    const { voice } = await joinAndConnect(targetGw, channelId, voices);
    expect(await voiceChannelOf(target.id)).toBe(channelId);
    expect((await api(app, 'DELETE', `/servers/${serverId}`, { token: owner.token })).status).toBe(204);
    expect(await voiceChannelOf(target.id)).toBeNull();
    expect(await new VoiceStateStore(app.rt).inServers([serverId])).toEqual([]);
    await voice.waitForEvent('voice_disconnect', (p) => p.reason === 'left');
  });

  it('a kicked member leaves voice at once', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const target = await member(app, serverId);
    const ownerGw = await gateway(app, owner, gateways);
    const targetGw = await gateway(app, target, gateways);
    const { voice } = await joinAndConnect(targetGw, channelId, voices);
    await stateUpdate(ownerGw, target.id, (d) => d.channel_id === channelId);
    expect(
      (await api(app, 'DELETE', `/servers/${serverId}/members/${target.id}`, { token: owner.token })).status,
    ).toBe(204);
    await stateUpdate(ownerGw, target.id, (d) => d.channel_id === null);
    await voice.waitForEvent('voice_disconnect', (p) => p.reason === 'left');
  });

  it('deleting a voice channel disconnects everyone in it', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const target = await member(app, serverId);
    const ownerGw = await gateway(app, owner, gateways);
    const targetGw = await gateway(app, target, gateways);
    const { voice } = await joinAndConnect(targetGw, channelId, voices);
    expect((await api(app, 'DELETE', `/channels/${channelId}`, { token: owner.token })).status).toBe(204);
    await stateUpdate(ownerGw, target.id, (d) => d.channel_id === null);
    await voice.waitForEvent('voice_disconnect', (p) => p.reason === 'left');
    const states = await api(app, 'GET', `/servers/${serverId}/voice-states`, { token: owner.token });
    expect(states.body).toEqual([]);
  });

  it('a voice channel’s deletion empties it only once committed: a crash before keeps everyone in, one after still empties it', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const target = await member(app, serverId);
    const targetGw = await gateway(app, target, gateways);
    await joinAndConnect(targetGw, channelId, voices);
    const path = `/channels/${channelId}`;
    // Dies before the commit: the channel stays, and so does everyone in it.
    await dyingBeforeCommit.send(owner.token, 'DELETE', path);
    expect(await app.rt.models.Channel.findByPk(channelId)).not.toBeNull();
    expect(await voiceChannelOf(target.id)).toBe(channelId);
    // Dies right after it: the relay loop empties the deleted channel.
    await doomed.send(owner.token, 'DELETE', path);
    expect(await app.rt.models.Channel.findByPk(channelId)).toBeNull();
    await until(
      async () => (await voiceChannelOf(target.id)) === null,
      'the relay to empty the channel',
      30000,
    );
    expect(await new VoiceStateStore(app.rt).inServers([serverId])).toEqual([]);
  }, 60000);

  it('never reaches the owner or anyone ranked at or above the moderator (the issue’s owner mute)', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const moderation = Permission.MUTE_MEMBERS | Permission.DEAFEN_MEMBERS | Permission.MOVE_MEMBERS;
    const modRole = await makeRole(app, serverId, { position: 2, permissions: moderation });
    const mod = await member(app, serverId, [modRole.id]);
    const peer = await member(app, serverId, [(await makeRole(app, serverId, { position: 2 })).id]);
    const high = await member(app, serverId, [(await makeRole(app, serverId, { position: 3 })).id]);
    const low = await member(app, serverId, [(await makeRole(app, serverId, { position: 1 })).id]);
    const ownerGw = await gateway(app, owner, gateways);
    for (const who of [owner, mod, peer, high, low]) {
      const gw = who === owner ? ownerGw : await gateway(app, who, gateways);
      expect((await join(gw, channelId)).ack).toMatchObject({ ok: true });
    }
    const patch = (target: { id: string }, body: unknown) =>
      api(app, 'PATCH', `/servers/${serverId}/voice-states/${target.id}`, { token: mod.token, body });

    for (const body of [{ mute: true }, { deaf: true }, { channel_id: null }]) {
      const onOwner = await patch(owner, body);
      expect(onOwner).toMatchObject({ status: 403, body: { code: 'member_hierarchy' } });
      expect(onOwner.body.message).toMatch(/owner/);
      for (const target of [peer, high]) {
        expect(await patch(target, body)).toMatchObject({ status: 403, body: { code: 'member_hierarchy' } });
      }
    }
    const states = await api(app, 'GET', `/servers/${serverId}/voice-states`, { token: owner.token });
    for (const target of [owner, peer, high]) {
      expect(states.body).toContainEqual(
        expect.objectContaining({ user_id: target.id, channel_id: channelId, mute: false, deaf: false }),
      );
    }
    expect(await app.rt.models.Member.count({ where: { server_id: serverId, mute: true } })).toBe(0);

    // Below them, and themselves, they moderate as before.
    expect(await patch(low, { mute: true })).toMatchObject({ status: 200, body: { mute: true } });
    expect(await patch(mod, { deaf: true })).toMatchObject({ status: 200, body: { deaf: true } });
    expect(await patch(low, { channel_id: null })).toMatchObject({ status: 200, body: null });
    await stateUpdate(ownerGw, low.id, (d) => d.channel_id === null);
  });

  it('stage: move_to_audience never reaches the owner or a higher-ranked speaker', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app, { channel_type: 'stage' });
    const stageMod = Permission.MUTE_MEMBERS | Permission.MOVE_MEMBERS;
    const mod = await member(app, serverId, [
      (await makeRole(app, serverId, { position: 1, permissions: stageMod })).id,
    ]);
    const high = await member(app, serverId, [(await makeRole(app, serverId, { position: 2 })).id]);
    const low = await member(app, serverId);
    const ownerGw = await gateway(app, owner, gateways);
    const modGw = await gateway(app, mod, gateways);
    for (const [who, gw] of [
      [owner, ownerGw],
      [mod, modGw],
      [high, await gateway(app, high, gateways)],
      [low, await gateway(app, low, gateways)],
    ] as const) {
      expect((await join(gw, channelId)).ack).toMatchObject({ ok: true });
      const invited = await ownerGw.command('invite_speaker', { channel_id: channelId, user_id: who.id });
      expect(invited).toMatchObject({ ok: true, voice_state: { suppress: false } });
    }
    for (const target of [owner, high]) {
      expect(
        await modGw.command('move_to_audience', { channel_id: channelId, user_id: target.id }),
      ).toMatchObject({ ok: false, code: 'member_hierarchy' });
    }
    expect(await modGw.command('move_to_audience', { channel_id: channelId, user_id: low.id })).toMatchObject(
      {
        ok: true,
        voice_state: { suppress: true },
      },
    );
    const states = await api(app, 'GET', `/servers/${serverId}/voice-states`, { token: owner.token });
    const suppressed = (id: string) =>
      (states.body as { user_id: string; suppress: boolean }[]).find((v) => v.user_id === id)?.suppress;
    expect([suppressed(owner.id), suppressed(high.id), suppressed(low.id)]).toEqual([false, false, true]);
  });
});
