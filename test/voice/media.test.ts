import { api } from '../helpers/accounts.js';
import type { TestApp } from '../helpers/app.js';
import { connectGateway } from '../helpers/gateway-client.js';
import { sendUntilHeard, VoiceTestClient } from '../helpers/voice-client.js';
import { Permission } from '../../shared/permissions/index.js';
import {
  gateway,
  join,
  joinAndConnect,
  member,
  stateUpdate,
  voiceWorld,
  voiceSuite,
  explainMedia,
} from './voice-helpers.js';

let app: TestApp;
const { gateways, voices } = voiceSuite((started) => (app = started));

describe('voice: joining and real media', () => {
  it('two werift clients join through the gateway; one speaks Opus, the other receives its RTP', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const listener = await member(app, serverId);
    const ownerGw = await gateway(app, owner, gateways);
    const listenerGw = await gateway(app, listener, gateways);

    const joined = await join(ownerGw, channelId, { self_deaf: false });
    expect(joined.ack).toMatchObject({
      ok: true,
      voice_state: {
        server_id: serverId,
        channel_id: channelId,
        user_id: owner.id,
        self_mute: false,
        mute: false,
        deaf: false,
        suppress: false,
      },
    });
    expect(joined.server).toMatchObject({
      server_id: serverId,
      channel_id: channelId,
      endpoint: app.origin,
      path: '/voice-signal',
      token: expect.any(String),
      expires_in: app.config.voice.token_ttl_seconds,
      router_rtp_capabilities: {
        codecs: expect.arrayContaining([expect.objectContaining({ mimeType: 'audio/opus' })]),
      },
    });
    // The other member (who sees the channel) learns who joined.
    await stateUpdate(listenerGw, owner.id, (d) => d.channel_id === channelId);

    const speaker = await VoiceTestClient.connect(joined.server!);
    voices.push(speaker);
    const { voice: hearer } = await joinAndConnect(listenerGw, channelId, voices);

    const sender = await speaker.sendAudio();
    expect(sender.paused).toBe(false);
    const announced = await hearer.waitForEvent('new_producer', (p) => p.producer_id === sender.producerId);
    // The owner has every permission, PRIORITY_SPEAKER included.
    expect(announced).toMatchObject({ user_id: owner.id, kind: 'audio', source: 'mic', priority: true });
    const receiver = await hearer.receive(sender.producerId);
    // Loud enough (-10 dBov) to count as speaking.
    const sent = await sendUntilHeard(sender, receiver, 20, { level: 10, explain: () => explainMedia(app) });
    expect(receiver.packets()).toBeGreaterThanOrEqual(20);
    expect(receiver.packets()).toBeLessThanOrEqual(sent);
    await stateUpdate(listenerGw, owner.id, (d) => d.speaking === true);
    const spoke = listenerGw.frames.length;
    await sender.send(50, 20, 127);
    await stateUpdate(listenerGw, owner.id, (d) => d.speaking === false, spoke);

    // A third member's READY lists both voice states.
    const third = await member(app, serverId);
    const late = await connectGateway(app.origin, { token: third.token });
    gateways.push(late);
    const ready = late.frames.find((f) => f.t === 'READY')?.d as unknown as {
      voice_states: { user_id: string }[];
    };
    expect(ready.voice_states.map((s) => s.user_id).sort()).toEqual([owner.id, listener.id].sort());

    // Closing the producer tells the listener.
    expect(await speaker.request('close_producer', { producer_id: sender.producerId })).toEqual({ ok: true });
    await hearer.waitForEvent('consumer_closed', (p) => p.consumer_id === receiver.consumerId);
  });

  it('camera video (VP8) reaches the others and shows as self_video; a member’s mic has no priority', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const camera = await member(app, serverId);
    const ownerGw = await gateway(app, owner, gateways);
    const cameraGw = await gateway(app, camera, gateways);
    const { voice: viewer } = await joinAndConnect(ownerGw, channelId, voices);
    const { voice: sender } = await joinAndConnect(cameraGw, channelId, voices);

    const video = await sender.sendVideo();
    const announced = await viewer.waitForEvent('new_producer', (p) => p.producer_id === video.producerId);
    expect(announced).toMatchObject({ user_id: camera.id, kind: 'video', source: 'camera', priority: false });
    await stateUpdate(ownerGw, camera.id, (d) => d.self_video === true && d.self_stream === false);
    const receiver = await viewer.receive(video.producerId);
    await sendUntilHeard(video, receiver, 20, { explain: () => explainMedia(app) });

    const mic = await sender.sendAudio();
    expect(await viewer.waitForEvent('new_producer', (p) => p.producer_id === mic.producerId)).toMatchObject({
      priority: false,
    });
    const streaming = ownerGw.frames.length;
    expect(await sender.request('close_producer', { producer_id: video.producerId })).toEqual({ ok: true });
    await stateUpdate(ownerGw, camera.id, (d) => d.self_video === false, streaming);
    // A microphone cannot claim to be video.
    const send = await sender.request('create_transport', { direction: 'send' });
    expect(
      await sender.request('produce', {
        transport_id: send.id,
        kind: 'video',
        source: 'mic',
        rtp_parameters: {},
      }),
    ).toMatchObject({ ok: false, code: 'validation_error', errors: { source: expect.any(String) } });
  });

  it('refuses joins without CONNECT, to unknown or text channels, and bad payloads', async () => {
    const { owner, serverId, textId, channelId } = await voiceWorld(app);
    const someone = await member(app, serverId);
    const stranger = await member(app, (await voiceWorld(app)).serverId);
    const gw = await gateway(app, someone, gateways);
    const strangerGw = await gateway(app, stranger, gateways);

    const deny = await api(app, 'PUT', `/channels/${channelId}/permissions/${serverId}`, {
      token: owner.token,
      body: { type: 'role', allow: '0', deny: String(Permission.CONNECT) },
    });
    expect(deny.status).toBe(204);
    expect((await join(gw, channelId)).ack).toMatchObject({
      ok: false,
      code: 'missing_permission',
      permission: 'CONNECT',
    });
    expect((await join(strangerGw, channelId)).ack).toMatchObject({ ok: false, code: 'unknown_channel' });
    expect((await join(gw, '123456789')).ack).toMatchObject({ ok: false, code: 'unknown_channel' });
    expect((await join(gw, textId)).ack).toMatchObject({ ok: false, code: 'invalid_channel_type' });
    expect(await gw.command('voice_state_update', { channel_id: 'abc', self_mute: 'yes' })).toMatchObject({
      ok: false,
      code: 'validation_error',
      errors: { channel_id: expect.any(String), self_mute: expect.any(String) },
    });
    expect(await app.rt.redis.exists(`${app.config.redis.key_prefix}:voice:user:${someone.id}`)).toBe(0);
  });

  it('refuses producing audio without SPEAK (and video without STREAM), and bad signaling', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const mutedOne = await member(app, serverId);
    await api(app, 'PUT', `/channels/${channelId}/permissions/${serverId}`, {
      token: owner.token,
      body: { type: 'role', allow: '0', deny: String(Permission.SPEAK | Permission.STREAM) },
    });
    const gw = await gateway(app, mutedOne, gateways);
    const { voice } = await joinAndConnect(gw, channelId, voices);
    const refused = await voice.sendAudio().catch((err: { ack?: unknown }) => err.ack);
    expect(refused).toMatchObject({ ok: false, code: 'missing_permission', permission: 'SPEAK' });

    const send = await voice.request('create_transport', { direction: 'send' });
    const video = await voice.request('produce', {
      transport_id: send.id,
      kind: 'video',
      rtp_parameters: { codecs: [], encodings: [] },
    });
    expect(video).toMatchObject({ ok: false, code: 'missing_permission', permission: 'STREAM' });
    expect(await voice.request('create_transport', { direction: 'sideways' })).toMatchObject({
      ok: false,
      code: 'validation_error',
      errors: { direction: expect.any(String) },
    });
    expect(
      await voice.request('connect_transport', {
        transport_id: 'nope',
        dtls_parameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] },
      }),
    ).toMatchObject({ ok: false, code: 'unknown_transport' });
    expect(
      await voice.request('consume', { transport_id: send.id, producer_id: 'x', rtp_capabilities: {} }),
    ).toMatchObject({
      ok: false,
      code: 'wrong_transport_direction',
    });
    expect(await voice.request('resume_consumer', { consumer_id: 'nope' })).toMatchObject({
      ok: false,
      code: 'unknown_consumer',
    });
  });

  it('refuses unknown, reused and other users’ tokens at the voice handshake', async () => {
    const { owner, channelId } = await voiceWorld(app);
    const gw = await gateway(app, owner, gateways);
    const { server } = await join(gw, channelId);
    const first = await VoiceTestClient.connect(server!);
    voices.push(first);
    await expect(VoiceTestClient.connect(server!)).rejects.toMatchObject({ data: { code: 'invalid_token' } });
    await expect(VoiceTestClient.connect({ ...server!, token: 'x'.repeat(32) })).rejects.toMatchObject({
      data: { code: 'invalid_token' },
    });
    // A token for a channel the user has left since is refused.
    const { server: again } = await join(gw, channelId);
    await join(gw, null);
    await expect(VoiceTestClient.connect(again!)).rejects.toMatchObject({ data: { code: 'not_in_channel' } });
    await first.waitForEvent('voice_disconnect', (p) => p.reason === 'left');
  });

  it('a user is in one channel at a time; channel_id null leaves; the user limit holds', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const other = await api(app, 'POST', `/servers/${serverId}/channels`, {
      token: owner.token,
      body: { name: 'Small', channel_type: 'voice', user_limit: 1 },
    });
    expect(other.body).toMatchObject({ channel_type: 'voice', user_limit: 1, bitrate: 64000 });
    const smallId = other.body.id as string;
    const a = await member(app, serverId);
    const b = await member(app, serverId);
    const c = await member(app, serverId);
    // c cannot see the small channel.
    await api(app, 'PUT', `/channels/${smallId}/permissions/${c.id}`, {
      token: owner.token,
      body: { type: 'member', allow: '0', deny: String(Permission.VIEW_CHANNEL) },
    });
    const watcher = await gateway(app, owner, gateways);
    const cGw = await gateway(app, c, gateways);
    const aGw = await gateway(app, a, gateways);
    const bGw = await gateway(app, b, gateways);

    await join(aGw, channelId);
    await stateUpdate(watcher, a.id, (d) => d.channel_id === channelId);
    await stateUpdate(cGw, a.id, (d) => d.channel_id === channelId);
    expect((await join(aGw, smallId)).ack).toMatchObject({ ok: true, voice_state: { channel_id: smallId } });
    // Who sees the new channel sees them arrive there; who sees only the old one sees them leave.
    await stateUpdate(watcher, a.id, (d) => d.channel_id === smallId);
    await stateUpdate(cGw, a.id, (d) => d.channel_id === null);
    expect(
      watcher.frames.some(
        (f) => f.t === 'VOICE_STATE_UPDATE' && (f.d as { channel_id?: unknown }).channel_id === null,
      ),
    ).toBe(false);
    expect(
      cGw.frames.some(
        (f) => f.t === 'VOICE_STATE_UPDATE' && (f.d as { channel_id?: unknown }).channel_id === smallId,
      ),
    ).toBe(false);
    expect((await join(bGw, smallId)).ack).toMatchObject({ ok: false, code: 'channel_full' });
    // The owner (MOVE_MEMBERS) is not held by the limit.
    expect((await join(watcher, smallId)).ack).toMatchObject({ ok: true });

    const states = await api(app, 'GET', `/servers/${serverId}/voice-states`, { token: owner.token });
    expect(states.body.map((s: { user_id: string }) => s.user_id).sort()).toEqual([a.id, owner.id].sort());
    expect((await join(aGw, null)).ack).toMatchObject({
      ok: true,
      voice_state: { channel_id: null, user_id: a.id },
    });
    expect((await join(bGw, smallId)).ack).toMatchObject({ ok: false, code: 'channel_full' });
    expect((await join(watcher, null)).ack).toMatchObject({ ok: true });
    expect((await join(bGw, smallId)).ack).toMatchObject({ ok: true });
    expect((await join(bGw, null)).ack).toMatchObject({ ok: true });
    expect((await join(bGw, null)).ack).toEqual({ ok: true, voice_state: null });
  });

  it('closing the gateway connection removes the voice state and the voice connection', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const leaver = await member(app, serverId);
    const watcher = await gateway(app, owner, gateways);
    const leaverGw = await gateway(app, leaver, gateways);
    const { voice } = await joinAndConnect(leaverGw, channelId, voices);
    await stateUpdate(watcher, leaver.id, (d) => d.channel_id === channelId);

    leaverGw.close();
    const left = await stateUpdate(watcher, leaver.id, (d) => d.channel_id === null);
    expect(left).toMatchObject({ server_id: serverId, user_id: leaver.id, channel_id: null });
    await voice.waitForEvent('voice_disconnect', (p) => p.reason === 'left');
    const states = await api(app, 'GET', `/servers/${serverId}/voice-states`, { token: owner.token });
    expect(states.body).toEqual([]);
  });

  it('a dropped (not closed) connection keeps the voice state: the session resumes with it', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const dropper = await member(app, serverId);
    const watcher = await gateway(app, owner, gateways);
    const gw = await gateway(app, dropper, gateways);
    await join(gw, channelId);
    await stateUpdate(watcher, dropper.id, (d) => d.channel_id === channelId);
    const sessionId = (gw.frames.find((f) => f.t === 'READY')?.d as unknown as { session_id: string })
      .session_id;
    // The transport closes without the client saying goodbye: a drop, which the session survives.
    gw.socket.io.engine.close();
    const resumed = await connectGateway(
      app.origin,
      { token: dropper.token, session_id: sessionId, seq: gw.lastSeq() },
      '/gateway',
      (f) => f.t === 'RESUMED',
    );
    gateways.push(resumed);
    const states = await api(app, 'GET', `/servers/${serverId}/voice-states`, { token: owner.token });
    expect(states.body).toEqual([
      expect.objectContaining({ user_id: dropper.id, channel_id: channelId, session_id: sessionId }),
    ]);
    // Saying goodbye on the resumed connection ends it.
    resumed.close();
    await stateUpdate(watcher, dropper.id, (d) => d.channel_id === null);
  });
});
