import http from 'node:http';
import type { TestApp } from '../helpers/app.js';
import type { GatewayClient } from '../helpers/gateway-client.js';
import { sendUntilHeard, VoiceTestClient, type VoiceServerInfo } from '../helpers/voice-client.js';
import { startVoice, type VoiceService } from '../../voice/service.js';
import {
  explainMedia,
  gateway,
  join,
  joinAndConnect,
  member,
  pause,
  voiceWorld,
  voiceSuite,
} from './voice-helpers.js';

let app: TestApp;
const { gateways, voices } = voiceSuite((started) => (app = started));

/** Speaks from `from` to `to` (both connected) and resolves once RTP arrived. */
async function mediaFlows(from: VoiceTestClient, to: VoiceTestClient): Promise<void> {
  const sender = await from.sendAudio();
  const receiver = await to.receive(sender.producerId);
  await sendUntilHeard(sender, receiver, 20, { explain: () => explainMedia(app) });
}

/** A second voice process (its own HTTP server) on the same Redis and database. */
async function secondNode(): Promise<{ voice: VoiceService; close(): Promise<void> }> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const voice = await startVoice(app.rt, server, { required: true });
  return {
    voice,
    async close() {
      await voice.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('voice recovery and several voice processes', () => {
  it('a killed mediasoup worker is replaced; clients are told to reconnect and media flows again', async () => {
    const { owner, serverId, channelId } = await voiceWorld(app);
    const listener = await member(app, serverId);
    const ownerGw = await gateway(app, owner, gateways);
    const listenerGw = await gateway(app, listener, gateways);
    const { voice: a } = await joinAndConnect(ownerGw, channelId, voices);
    const { voice: b } = await joinAndConnect(listenerGw, channelId, voices);
    await mediaFlows(a, b);

    const node = app.voice?.node;
    const [pid] = node?.workerPids() ?? [];
    expect(pid).toEqual(expect.any(Number));
    const updates = (g: GatewayClient) => g.frames.filter((f) => f.t === 'VOICE_SERVER_UPDATE').length;
    const [ownerBefore, listenerBefore] = [updates(ownerGw), updates(listenerGw)];
    process.kill(pid as number, 'SIGKILL');

    await a.waitForEvent('voice_reconnect');
    await b.waitForEvent('voice_reconnect');
    const fresh = async (g: GatewayClient, before: number): Promise<VoiceServerInfo> => {
      const frames = await g.waitForFrames(before + 1, (f) => f.t === 'VOICE_SERVER_UPDATE');
      return frames[frames.length - 1]?.d as unknown as VoiceServerInfo;
    };
    const [ownerServer, listenerServer] = await Promise.all([
      fresh(ownerGw, ownerBefore),
      fresh(listenerGw, listenerBefore),
    ]);
    for (let i = 0; i < 250 && (node?.workerPids() ?? []).every((p) => p === pid); i++) await pause(20);
    expect(node?.workerPids()).toEqual([expect.any(Number)]);
    expect(node?.workerPids()).not.toContain(pid);

    const a2 = await VoiceTestClient.connect(ownerServer);
    const b2 = await VoiceTestClient.connect(listenerServer);
    voices.push(a2, b2);
    await mediaFlows(a2, b2);
  });

  it('a channel lives on one voice process, recorded in Redis; when that process goes, joins move', async () => {
    const second = await secondNode();
    try {
      const nodes = [app.voice?.node, second.voice.node];
      const { owner, serverId, channelId } = await voiceWorld(app);
      const others = await Promise.all([member(app, serverId), member(app, serverId), member(app, serverId)]);
      const clients = await Promise.all([owner, ...others].map((p) => gateway(app, p, gateways)));

      // Concurrent first joins agree on one node.
      const joined = await Promise.all(clients.slice(0, 3).map((c) => join(c, channelId)));
      const endpoints = new Set(joined.map((j) => j.server?.endpoint));
      expect(endpoints.size).toBe(1);
      const hostId = await app.rt.redis.get(`${app.config.redis.key_prefix}:voice:channel:${channelId}:node`);
      const host = nodes.find((n) => n?.id === hostId);
      expect(host?.endpoint).toBe([...endpoints][0]);
      const a = await VoiceTestClient.connect(joined[0]?.server as VoiceServerInfo);
      const b = await VoiceTestClient.connect(joined[1]?.server as VoiceServerInfo);
      voices.push(a, b);
      await mediaFlows(a, b);

      // The host stops: the next join lands on the other process, and media flows there.
      const other = nodes.find((n) => n !== host);
      if (host === second.voice.node) await second.close();
      else await app.voice?.close();
      await a.waitForEvent('voice_disconnect', (p) => p.reason === 'server_shutdown');
      const moved = await Promise.all([
        join(clients[0] as GatewayClient, channelId),
        join(clients[3] as GatewayClient, channelId),
      ]);
      expect(moved.map((m) => m.server?.endpoint)).toEqual([other?.endpoint, other?.endpoint]);
      const c = await VoiceTestClient.connect(moved[0]?.server as VoiceServerInfo);
      const d = await VoiceTestClient.connect(moved[1]?.server as VoiceServerInfo);
      voices.push(c, d);
      await mediaFlows(c, d);
    } finally {
      await second.close().catch(() => undefined);
    }
  });
});
