import { api } from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { connectGateway, type GatewayClient } from '../helpers/gateway-client.js';
import { VoiceTestClient, type VoiceServerInfo } from '../helpers/voice-client.js';
import { makeRole, member, person, type Person } from '../api/servers/membership-helpers.js';
import { createServerWithChannel } from '../helpers/factories.js';
import type { DispatchFrame } from '../../shared/events/index.js';

export { makeRole, member, person, type Person };

/** A test config for voice: one mediasoup worker, fast heartbeats. */
export function voiceConfig(extra: Record<string, unknown> = {}) {
  return testConfig({
    ...extra,
    voice: {
      workers: 1,
      node_heartbeat_seconds: 0.5,
      ...(extra.voice as Record<string, unknown> | undefined),
    },
  });
}

/**
 * The hooks every voice test file needs: one app (with a voice role unless `voice` is false, on
 * voiceConfig(`config`)) handed to `started`, and the gateway and voice clients a test opened closed after it.
 */
export function voiceSuite(
  started: (app: TestApp) => void,
  options: { voice?: boolean; config?: Record<string, unknown> } = {},
) {
  const gateways: GatewayClient[] = [];
  const voices: VoiceTestClient[] = [];
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startTestApp({ config: voiceConfig(options.config), voice: options.voice !== false });
    started(app);
  });
  afterEach(async () => {
    for (const v of voices.splice(0)) await v.close();
    for (const g of gateways.splice(0)) g.close();
  });
  afterAll(async () => {
    await app?.close();
  });
  return { gateways, voices };
}

/** An owner, their server, and a voice (or stage) channel made through the API. */
export async function voiceWorld(
  app: TestApp,
  channel: { channel_type?: 'voice' | 'stage'; user_limit?: number } = {},
): Promise<{ owner: Person; serverId: string; textId: string; channelId: string }> {
  const owner = await person(app);
  const { server, channel: text } = await createServerWithChannel(app.rt, owner.id);
  const res = await api(app, 'POST', `/servers/${server.id}/channels`, {
    token: owner.token,
    body: { name: 'Lounge', channel_type: 'voice', ...channel },
  });
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`channel: ${res.status} ${JSON.stringify(res.body)}`);
  return { owner, serverId: server.id, textId: text.id, channelId: res.body.id as string };
}

/** A gateway connection that closes with the test. */
export async function gateway(app: TestApp, who: Person, opened: GatewayClient[]): Promise<GatewayClient> {
  const client = await connectGateway(app.origin, { token: who.token });
  opened.push(client);
  return client;
}

/**
 * `voice_state_update` to a channel; resolves with the ack and, when it succeeded, the
 * VOICE_SERVER_UPDATE that followed it.
 */
export async function join(
  client: GatewayClient,
  channelId: string | null,
  flags: { self_mute?: boolean; self_deaf?: boolean } = {},
): Promise<{ ack: Record<string, unknown>; server: VoiceServerInfo | null }> {
  const isServerUpdate = (f: DispatchFrame) => f.t === 'VOICE_SERVER_UPDATE';
  const before = client.frames.filter(isServerUpdate).length;
  const ack = await client.command('voice_state_update', { channel_id: channelId, ...flags });
  if (!ack.ok || channelId === null) return { ack, server: null };
  const frames = await client.waitForFrames(before + 1, isServerUpdate);
  return { ack, server: frames[frames.length - 1]?.d as unknown as VoiceServerInfo };
}

/** Joins through the gateway and connects to the voice server with the token. */
export async function joinAndConnect(
  client: GatewayClient,
  channelId: string,
  opened: VoiceTestClient[],
): Promise<{ voice: VoiceTestClient; server: VoiceServerInfo }> {
  const { ack, server } = await join(client, channelId);
  if (!ack.ok || !server) throw new Error(`join failed: ${JSON.stringify(ack)}`);
  const voice = await VoiceTestClient.connect(server);
  opened.push(voice);
  return { voice, server };
}

/** A VOICE_STATE_UPDATE about `userId` matching `predicate`, among the frames from the `since`-th on. */
export async function stateUpdate(
  client: GatewayClient,
  userId: string,
  predicate: (d: Record<string, unknown>) => boolean,
  since = 0,
): Promise<Record<string, unknown>> {
  const frames = await client.waitForFrames(
    1,
    (f) =>
      f.t === 'VOICE_STATE_UPDATE' &&
      (f.d as { user_id: string }).user_id === userId &&
      predicate(f.d as never) &&
      client.frames.indexOf(f) >= since,
  );
  return frames[0]?.d as unknown as Record<string, unknown>;
}

/** Waits `ms` (to let packets in flight land before counting). */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The server side of every room of `app`'s voice node, for a media failure's message: each
 * transport's ICE and DTLS state, selected tuple and bytes, each producer's and consumer's paused
 * flags and packet counts (mediasoup's getStats).
 */
export async function explainMedia(app: TestApp): Promise<unknown> {
  const node = app.voice?.node;
  if (!node) return 'no voice node in this process';
  const count = (stats: { type: string; packetCount?: number }[], type: string) =>
    stats.filter((s) => s.type === type).reduce((n, s) => n + (s.packetCount ?? 0), 0);
  const rooms = [];
  for (const room of node.rooms.values()) {
    const peers = [];
    for (const peer of room.peers.values()) {
      const transports = await Promise.all(
        [...peer.transports.values()].map(async (t) => {
          const [stats] = await t.getStats();
          return {
            direction: (t.appData as { direction?: string }).direction,
            ice: t.iceState,
            dtls: t.dtlsState,
            tuple: t.iceSelectedTuple
              ? `${t.iceSelectedTuple.remoteIp}:${t.iceSelectedTuple.remotePort}`
              : null,
            bytes_in: stats?.bytesReceived,
            rtp_bytes_in: stats?.rtpBytesReceived,
            bytes_out: stats?.bytesSent,
            rtp_bytes_out: stats?.rtpBytesSent,
          };
        }),
      );
      const producers = await Promise.all(
        [...peer.producers.values()].map(async (p) => ({
          paused: p.paused,
          packets_in: count(await p.getStats(), 'inbound-rtp'),
        })),
      );
      const consumers = await Promise.all(
        [...peer.consumers.values()].map(async (c) => ({
          paused: c.paused,
          producer_paused: c.producerPaused,
          packets_out: count(await c.getStats(), 'outbound-rtp'),
        })),
      );
      peers.push({ user: peer.userId, transports, producers, consumers });
    }
    rooms.push({ channel: room.channelId, peers });
  }
  return rooms;
}
