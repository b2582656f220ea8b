import { VoiceCommandError, VoiceConnection, type Client } from '../../client/src/index.js';
import type { TestApp } from '../helpers/app.js';
import { VoiceTestClient } from '../helpers/voice-client.js';
import { voiceSuite } from '../voice/voice-helpers.js';
import { sdkServer, sdkUser } from './helpers.js';

let app: TestApp;
const { voices } = voiceSuite((started) => (app = started));
const opened: { close(): void }[] = [];

afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

/** Two people in a server with a voice channel, both on the gateway. */
async function voiceRoom(): Promise<{ owner: Client; guest: Client; channelId: string }> {
  const owner = (await sdkUser(app)).client;
  const guest = (await sdkUser(app)).client;
  const { server, channel } = await sdkServer(owner, 'Voice');
  const voice = await owner.rest.request('POST /servers/{server_id}/channels', {
    params: { server_id: server.id },
    body: { name: 'Lounge', channel_type: 'voice' },
  });
  const invite = await owner.rest.request('POST /channels/{channel_id}/invites', {
    params: { channel_id: channel.id },
    body: {},
  });
  await guest.rest.request('POST /invites/{code}', { params: { code: invite.code } });
  for (const c of [owner, guest]) {
    await c.connect();
    opened.push(c.gateway);
  }
  return { owner, guest, channelId: voice.id };
}

describe('voice signaling helpers', () => {
  it('joins through the gateway, connects to the voice server and creates a transport', async () => {
    const { owner, channelId } = await voiceRoom();
    const server = await owner.gateway.joinVoice(channelId, { self_mute: true });
    expect(server).toMatchObject({ channel_id: channelId, token: expect.any(String) });
    expect(server!.router_rtp_capabilities).toMatchObject({ codecs: expect.any(Array) });

    const voice = await VoiceConnection.connect(server!, { transports: ['websocket'] });
    opened.push(voice);
    expect(voice.routerRtpCapabilities).toEqual(server!.router_rtp_capabilities);
    const transport = await voice.createTransport('send');
    expect(transport).toMatchObject({
      id: expect.any(String),
      direction: 'send',
      ice_parameters: { usernameFragment: expect.any(String), password: expect.any(String) },
      dtls_parameters: { fingerprints: expect.any(Array) },
    });
    expect(transport.ice_candidates.length).toBeGreaterThan(0);

    // A refused command throws with the server's code: consuming needs a receive transport.
    await expect(
      voice.consume(transport.id, 'nobody', server!.router_rtp_capabilities),
    ).rejects.toMatchObject({ name: 'VoiceCommandError', code: 'wrong_transport_direction' });
  });

  it('hears a producer: new_producer, then consume and resume through the helpers', async () => {
    const { owner, guest, channelId } = await voiceRoom();
    const listener = await VoiceConnection.connect((await owner.gateway.joinVoice(channelId))!, {
      transports: ['websocket'],
    });
    opened.push(listener);
    const announced = new Promise<Record<string, unknown>>((resolve) => listener.on('new_producer', resolve));

    // The speaker is a real WebRTC peer (werift), connected with what the SDK's join answered.
    const speaker = await VoiceTestClient.connect((await guest.gateway.joinVoice(channelId))!);
    voices.push(speaker);
    const sender = await speaker.sendAudio();
    const announcement = await announced;
    expect(announcement).toMatchObject({ producer_id: sender.producerId, kind: 'audio' });

    const recv = await listener.createTransport('recv');
    const consumer = await listener.consume(recv.id, sender.producerId, {
      codecs: [
        { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100 },
      ],
      headerExtensions: [],
    });
    expect(consumer).toMatchObject({
      producer_id: sender.producerId,
      kind: 'audio',
      rtp_parameters: expect.any(Object),
    });
    await expect(listener.resumeConsumer(consumer.id)).resolves.toEqual({ paused: false });

    const wrong = await listener
      .connectTransport('no-such-transport', { fingerprints: [] })
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(VoiceCommandError);
    expect((wrong as VoiceCommandError).code).toBe('validation_error');

    await expect(owner.gateway.joinVoice(null)).resolves.toBeNull();
  });
});
