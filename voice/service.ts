import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { NAMESPACE_CONNECT_TIMEOUT_MS } from '../shared/net/handshake-limits.js';
import { claimUpgradePath, UPGRADES_CLAIMED } from '../shared/net/upgrade-paths.js';
import type { Runtime } from '../shared/runtime.js';
import { isUnderPath, voiceSignalPaths } from '../shared/voice-chat/signal-paths.js';
import { loadMediasoup } from './mediasoup.js';
import { VoiceNode } from './node.js';

/** The running voice role. */
export interface VoiceService {
  /** This process's node id in Redis; null when voice is off. */
  node: VoiceNode | null;
  close(): Promise<void>;
}

export interface VoiceOptions {
  /** Whether a missing mediasoup stops the process (the standalone role) or only turns voice off. */
  required?: boolean;
  /** Base URL of `httpServer` as clients reach it, when voice.public_url is unset. */
  fallbackUrl?: string | null;
}

/** Where clients reach `httpServer`: voice.public_url, the fallback, or its listening address. */
function endpointOf(rt: Runtime, httpServer: HttpServer, fallback: string | null | undefined): string {
  if (rt.config.voice.public_url) return rt.config.voice.public_url.replace(/\/$/, '');
  if (fallback) return fallback.replace(/\/$/, '');
  const address = httpServer.address();
  if (!address || typeof address === 'string') throw new Error('voice: the HTTP server is not listening yet');
  const host = ['0.0.0.0', '::', ''].includes(address.address) ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/**
 * Serves the other signaling paths (voiceSignalPaths: socket.io's default) as the first: a request
 * under one has its URL rewritten to `paths[0]` before socket.io, whose listeners come after these,
 * matches it against its one path.
 */
function answerAliases(httpServer: HttpServer, [path, ...aliases]: string[]): void {
  if (!path || aliases.length === 0) return;
  const rewrite = (req: IncomingMessage): void => {
    const url = req.url ?? '';
    const alias = aliases.find((a) => isUnderPath(url, a));
    if (alias) req.url = path + url.slice(alias.length);
  };
  httpServer.prependListener('request', rewrite);
  httpServer.prependListener('upgrade', rewrite);
}

/**
 * Starts the voice role on a listening HTTP server: mediasoup workers, the `/voice` signaling
 * namespace on `voice.path`, and this node's entry in Redis so the gateway sends joins here.
 */
export async function startVoice(
  rt: Runtime,
  httpServer: HttpServer,
  options: VoiceOptions = {},
): Promise<VoiceService> {
  const v = rt.config.voice;
  if (!v.enabled) {
    rt.logger.info('voice is off (voice.enabled: false)');
    return { node: null, close: () => Promise.resolve() };
  }
  if (['0.0.0.0', '::'].includes(v.listen_ip) && !v.announced_ip) {
    throw new Error('voice.announced_ip is needed when voice.listen_ip is a wildcard address');
  }
  const mediasoup = await loadMediasoup();
  if (!mediasoup) {
    const message = 'mediasoup is not installed: voice is off (see the README to build it)';
    if (options.required) throw new Error(message);
    rt.logger.warn(message);
    return { node: null, close: () => Promise.resolve() };
  }
  const io = new Server(httpServer, {
    path: v.path,
    serveClient: false,
    cors: rt.config.server.cors_origins.length > 0 ? { origin: rt.config.server.cors_origins } : undefined,
    maxHttpBufferSize: 64 * 1024,
    connectTimeout: NAMESPACE_CONNECT_TIMEOUT_MS,
    ...UPGRADES_CLAIMED,
  });
  claimUpgradePath(httpServer, v.path);
  answerAliases(httpServer, voiceSignalPaths(rt.config));
  const node = new VoiceNode(rt, mediasoup, endpointOf(rt, httpServer, options.fallbackUrl), io.of('/voice'));
  try {
    await node.start();
  } catch (err) {
    await node.close();
    await io.close();
    throw err;
  }
  rt.metrics.sampled(
    'plexichat_voice_rooms',
    'Voice and stage channels with a router on this process, and the users connected to them',
    ['what'],
    () =>
      Promise.resolve([
        { labels: { what: 'rooms' }, value: node.rooms.size },
        {
          labels: { what: 'peers' },
          value: [...node.rooms.values()].reduce((n, r) => n + r.peers.size, 0),
        },
        { labels: { what: 'workers' }, value: node.workerPids().length },
      ]),
  );
  rt.logger.info({ node: node.id, endpoint: node.endpoint, path: v.path }, 'voice started');
  return {
    node,
    async close() {
      await node.close();
      // Not io.close(): that would close the HTTP server the API shares in the all-in-one process.
      io.disconnectSockets(true);
      io.engine.close();
    },
  };
}
