import crypto from 'node:crypto';
import type { Runtime } from '../runtime.js';
import { voiceKeys } from './keys.js';

/** What a voice token lets its bearer do: connect one user to one channel on one node. */
export interface VoiceGrant {
  user_id: string;
  server_id: string;
  channel_id: string;
  node_id: string;
  /** The gateway session that joined. */
  session_id: string;
}

/** Mints a random, short-lived (voice.token_ttl_seconds), single-use voice token. */
export async function mintVoiceToken(
  rt: Pick<Runtime, 'redis' | 'config'>,
  grant: VoiceGrant,
): Promise<string> {
  const token = crypto.randomBytes(24).toString('base64url');
  await rt.redis.set(
    voiceKeys(rt.config.redis.key_prefix).token(token),
    JSON.stringify(grant),
    'EX',
    rt.config.voice.token_ttl_seconds,
  );
  return token;
}

/** Uses a voice token up: its grant, or null when it is unknown, expired or already used. */
export async function redeemVoiceToken(
  rt: Pick<Runtime, 'redis' | 'config'>,
  token: string,
): Promise<VoiceGrant | null> {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(token)) return null;
  const raw = await rt.redis.getdel(voiceKeys(rt.config.redis.key_prefix).token(token));
  return raw ? (JSON.parse(raw) as VoiceGrant) : null;
}
