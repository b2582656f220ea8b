import type { Runtime } from '../runtime.js';
import { voiceKeys } from './keys.js';

/**
 * Commands to the voice processes, over Redis pub/sub. Each node acts on those about channels it
 * hosts; the rest it ignores.
 * - sync: re-read the user's voice state and enforce it (server mute and deafen, stage
 *   suppression; a user no longer in the channel is disconnected from it).
 */
export type VoiceControl = { type: 'sync'; channel_id: string; user_id: string };

/** Sends a command to every voice node. */
export async function publishVoiceControl(
  rt: Pick<Runtime, 'redis' | 'config'>,
  command: VoiceControl,
): Promise<void> {
  await rt.redis.publish(voiceKeys(rt.config.redis.key_prefix).control, JSON.stringify(command));
}

/** The pub/sub channel voice nodes subscribe to. */
export function voiceControlChannel(config: Pick<Runtime['config'], 'redis'>): string {
  return voiceKeys(config.redis.key_prefix).control;
}
