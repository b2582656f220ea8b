import type { TestApp } from '../helpers/app.js';
import { refusalOf } from '../helpers/gateway-client.js';
import { openRawConnection, requestHead } from '../helpers/raw-http.js';
import { VoiceTestClient } from '../helpers/voice-client.js';
import { gateway, join, joinAndConnect, pause, voiceSuite, voiceWorld } from './voice-helpers.js';

const POINTS = 4;
let app: TestApp;
const { gateways, voices } = voiceSuite((started) => (app = started), {
  config: {
    gateway: { max_connections_per_user: 1, handshake_rate_limit: { points: POINTS, duration_seconds: 60 } },
  },
});

/** A /voice handshake with `token` (from `ip` through the trusted loopback proxy when given): its refusal. */
const voiceRefusal = (token: string, ip?: string) =>
  refusalOf(
    app.origin,
    { token },
    { path: app.config.voice.path, namespace: '/voice', headers: ip ? { 'x-forwarded-for': ip } : {} },
  );

describe('voice handshake limits', () => {
  it('caps voice connections per user on the voice process (too_many_connections), apart from the gateway', async () => {
    const { owner, channelId } = await voiceWorld(app);
    // The user's one gateway connection does not count against voice.
    const gw = await gateway(app, owner, gateways);
    await joinAndConnect(gw, channelId, voices);
    const { server } = await join(gw, channelId);
    if (!server) throw new Error('no VOICE_SERVER_UPDATE');
    const err = await VoiceTestClient.connect(server).then(
      () => null,
      (e: Error & { data?: { code: string; message: string } }) => e,
    );
    expect(err?.data).toEqual({ code: 'too_many_connections', message: expect.any(String) });
    // Closing frees the slot (with the peer, once the server sees the close): the next join connects.
    await voices.splice(0)[0]?.close();
    const peers = () => app.voice?.node?.rooms.get(channelId)?.peers;
    for (let i = 0; i < 150 && peers()?.has(owner.id); i++) await pause(20);
    await joinAndConnect(gw, channelId, voices);
    expect(voices[0]?.socket.connected).toBe(true);
  });

  it('counts handshakes per address before the token is looked at, apart from the gateway', async () => {
    const ip = '198.51.100.31';
    for (let i = 0; i < POINTS; i++)
      expect((await voiceRefusal('A'.repeat(32), ip)).data?.code).toBe('invalid_token');
    const err = await voiceRefusal('A'.repeat(32), ip);
    expect(err.data).toEqual({
      code: 'rate_limited',
      message: expect.any(String),
      retry_after: expect.any(Number),
    });
    // The gateway's budget for that address is untouched; loopback is never counted.
    expect(
      (await refusalOf(app.origin, { token: 'x' }, { headers: { 'x-forwarded-for': ip } })).data?.code,
    ).toBe('unauthorized');
    for (let i = 0; i < POINTS + 1; i++)
      expect((await voiceRefusal('A'.repeat(32))).data?.code).toBe('invalid_token');
  });

  it('refuses the default namespace of the voice path', async () => {
    const err = await refusalOf(app.origin, {}, { path: app.config.voice.path });
    expect(err.data?.code).toBe('invalid_namespace');
  });

  it('answers a WebSocket upgrade on a path neither the gateway nor voice serves 404, and closes it', async () => {
    // One HTTP server carries both socket.io servers here; each claims its own path.
    const raw = openRawConnection(app.origin);
    raw.write(
      requestHead('GET', `${app.origin}/not-socket-io/?EIO=4&transport=websocket`, {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': 13,
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      }),
    );
    await raw.waitClosed();
    expect(raw.received).toMatch(/^HTTP\/1\.1 404 /);
  });
});
