import { sendUntilHeard } from '../helpers/voice-client.js';
import { api } from '../helpers/accounts.js';
import type { TestApp } from '../helpers/app.js';
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

/** A stage with its owner and a member in it, both on the gateway and connected to /voice. */
async function stageWithGuest() {
  const { owner, serverId, channelId } = await voiceWorld(app, { channel_type: 'stage' });
  const guest = await member(app, serverId);
  const ownerGw = await gateway(app, owner, gateways);
  const guestGw = await gateway(app, guest, gateways);
  const { voice: ownerVoice } = await joinAndConnect(ownerGw, channelId, voices);
  const { voice: guestVoice } = await joinAndConnect(guestGw, channelId, voices);
  return { owner, guest, channelId, ownerGw, guestGw, ownerVoice, guestVoice };
}

describe('stage channels', () => {
  it('the audience cannot produce until a moderator invites them; then the others hear them', async () => {
    const { guest, channelId, ownerGw, guestGw, ownerVoice, guestVoice } = await stageWithGuest();
    const joined = await stateUpdate(ownerGw, guest.id, (d) => d.channel_id === channelId);
    expect(joined).toMatchObject({ suppress: true, request_to_speak_timestamp: null });

    const refused = await guestVoice.sendAudio().catch((err: { ack?: unknown }) => err.ack);
    expect(refused).toMatchObject({ ok: false, code: 'suppressed' });

    // The guest raises a hand; moderators see it.
    const raised = await guestGw.command('request_to_speak', { channel_id: channelId });
    expect(raised).toMatchObject({
      ok: true,
      voice_state: { request_to_speak_timestamp: expect.any(Number) },
    });
    await stateUpdate(ownerGw, guest.id, (d) => typeof d.request_to_speak_timestamp === 'number');

    // Only stage moderators invite.
    expect(
      await guestGw.command('invite_speaker', { channel_id: channelId, user_id: guest.id }),
    ).toMatchObject({
      ok: false,
      code: 'missing_permission',
      permission: 'MUTE_MEMBERS, MOVE_MEMBERS',
    });
    const invited = await ownerGw.command('invite_speaker', { channel_id: channelId, user_id: guest.id });
    expect(invited).toMatchObject({
      ok: true,
      voice_state: { suppress: false, request_to_speak_timestamp: null },
    });
    await stateUpdate(guestGw, guest.id, (d) => d.suppress === false);

    const sender = await guestVoice.sendAudio();
    const receiver = await ownerVoice.receive(sender.producerId);
    await sendUntilHeard(sender, receiver, 20, { explain: () => explainMedia(app) });

    // Back to the audience: the producer is paused by the server.
    expect(
      await ownerGw.command('move_to_audience', { channel_id: channelId, user_id: guest.id }),
    ).toMatchObject({
      ok: true,
      voice_state: { suppress: true },
    });
    await guestVoice.waitForEvent('producer_paused', (p) => p.reason === 'suppressed');
    await ownerVoice.waitForEvent('consumer_paused', (p) => p.consumer_id === receiver.consumerId);
    // And it cannot be resumed from the client.
    expect(await guestVoice.request('resume_producer', { producer_id: sender.producerId })).toEqual({
      ok: true,
      paused: true,
    });
  });

  it('request_to_speak needs REQUEST_TO_SPEAK; stage commands refuse other channels', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app, { channel_type: 'stage' });
    const voice = await voiceWorld(app);
    await api(app, 'PUT', `/channels/${channelId}/permissions/${serverId}`, {
      token: owner.token,
      body: { type: 'role', allow: '0', deny: String(Permission.REQUEST_TO_SPEAK) },
    });
    const guest = await member(app, serverId);
    const gw = await gateway(app, guest, gateways);
    expect(await gw.command('request_to_speak', { channel_id: channelId })).toMatchObject({
      ok: false,
      code: 'missing_permission',
      permission: 'REQUEST_TO_SPEAK',
    });
    // Lowering a hand needs no permission, but they must be in the stage.
    expect(await gw.command('request_to_speak', { channel_id: channelId, raise: false })).toMatchObject({
      ok: false,
      code: 'unknown_voice_state',
    });
    await join(gw, channelId);
    expect(await gw.command('request_to_speak', { channel_id: channelId, raise: false })).toMatchObject({
      ok: true,
    });
    const ownerGw = await gateway(app, voice.owner, gateways);
    expect(
      await ownerGw.command('invite_speaker', { channel_id: voice.channelId, user_id: voice.owner.id }),
    ).toMatchObject({
      ok: false,
      code: 'invalid_channel_type',
      errors: { channel_id: 'is not a stage channel' },
    });
    expect(await gw.command('move_to_audience', { channel_id: channelId, user_id: 'x' })).toMatchObject({
      ok: false,
      code: 'validation_error',
      errors: { user_id: expect.any(String) },
    });
  });

  it('the stage commands are acked on the /voice namespace too (channel_id defaults to its room)', async () => {
    const { guest, channelId, ownerGw, ownerVoice, guestVoice } = await stageWithGuest();

    expect(await guestVoice.request('request_to_speak', {})).toMatchObject({
      ok: true,
      voice_state: { user_id: guest.id, request_to_speak_timestamp: expect.any(Number) },
    });
    await stateUpdate(ownerGw, guest.id, (d) => typeof d.request_to_speak_timestamp === 'number');
    expect(await guestVoice.request('invite_speaker', { user_id: guest.id })).toMatchObject({
      ok: false,
      code: 'missing_permission',
    });
    expect(
      await ownerVoice.request('invite_speaker', { channel_id: channelId, user_id: guest.id }),
    ).toMatchObject({ ok: true, voice_state: { suppress: false, request_to_speak_timestamp: null } });
    expect(await ownerVoice.request('move_to_audience', { user_id: guest.id })).toMatchObject({
      ok: true,
      voice_state: { suppress: true },
    });
    expect(await ownerVoice.request('move_to_audience', { user_id: 'x' })).toMatchObject({
      ok: false,
      code: 'validation_error',
      errors: { user_id: expect.any(String) },
    });
    // Every command is acked, an unknown one with its name.
    expect(await ownerVoice.request('no_such_command', {})).toMatchObject({
      ok: false,
      code: 'unknown_command',
    });
  });

  it('stage instance: moderators start it with a topic, change it, end it; viewers get events', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app, { channel_type: 'stage' });
    const viewer = await member(app, serverId);
    const viewerGw = await gateway(app, viewer, gateways);
    const path = `/channels/${channelId}/stage-instance`;

    expect(await api(app, 'POST', path, { token: viewer.token, body: { topic: 'Mine' } })).toMatchObject({
      status: 403,
      body: { code: 'missing_permission' },
    });
    const started = await api(app, 'POST', path, { token: owner.token, body: { topic: 'Town hall' } });
    expect(started).toMatchObject({
      status: 201,
      body: { channel_id: channelId, server_id: serverId, topic: 'Town hall', started_by: owner.id },
    });
    expect(await api(app, 'POST', path, { token: owner.token, body: { topic: 'Again' } })).toMatchObject({
      status: 409,
      body: { code: 'stage_instance_exists' },
    });
    await viewerGw.waitForFrames(1, (f) => f.t === 'STAGE_INSTANCE_CREATE');
    expect(await api(app, 'PATCH', path, { token: owner.token, body: { topic: 'Q&A' } })).toMatchObject({
      status: 200,
      body: { topic: 'Q&A' },
    });
    await viewerGw.waitForFrames(
      1,
      (f) => f.t === 'STAGE_INSTANCE_UPDATE' && (f.d as { topic: string }).topic === 'Q&A',
    );
    expect(await api(app, 'GET', path, { token: viewer.token })).toMatchObject({
      status: 200,
      body: { topic: 'Q&A' },
    });
    expect(await api(app, 'PATCH', path, { token: owner.token, body: { topic: '' } })).toMatchObject({
      status: 400,
      body: { errors: { topic: expect.any(String) } },
    });
    expect((await api(app, 'DELETE', path, { token: owner.token })).status).toBe(204);
    await viewerGw.waitForFrames(1, (f) => f.t === 'STAGE_INSTANCE_DELETE');
    expect(await api(app, 'GET', path, { token: viewer.token })).toMatchObject({
      status: 404,
      body: { code: 'unknown_stage_instance' },
    });

    // It also ends when the last participant leaves.
    const ownerGw = await gateway(app, owner, gateways);
    await join(ownerGw, channelId);
    await api(app, 'POST', path, { token: owner.token, body: { topic: 'Short one' } });
    await join(ownerGw, null);
    await viewerGw.waitForFrames(2, (f) => f.t === 'STAGE_INSTANCE_DELETE');
  });
});
