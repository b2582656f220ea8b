import type { Config } from '../config/index.js';

/** socket.io's default path: where a client given only an endpoint and a namespace connects. */
export const SOCKET_IO_DEFAULT_PATH = '/socket.io';

/**
 * The socket.io paths voice signaling answers on: `voice.path` (the one VOICE_SERVER_UPDATE names),
 * then socket.io's default, unless the gateway or voice already uses it. API.md names only the
 * namespace (`/voice`), so a client that connects to `endpoint + "/voice"` without a path must
 * reach voice too. The gateway's own path stays the gateway's.
 */
export function voiceSignalPaths(config: Pick<Config, 'voice' | 'gateway'>): string[] {
  const own = config.voice.path.replace(/\/$/, '');
  const taken = [own, config.gateway.path.replace(/\/$/, '')];
  return taken.includes(SOCKET_IO_DEFAULT_PATH) ? [own] : [own, SOCKET_IO_DEFAULT_PATH];
}

/** Whether a request target (path and query) is under `path` (the path itself, `path/...` or `path?...`). */
export function isUnderPath(target: string, path: string): boolean {
  return target === path || target.startsWith(`${path}/`) || target.startsWith(`${path}?`);
}
