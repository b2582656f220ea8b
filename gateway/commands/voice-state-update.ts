import Joi from 'joi';
import { snowflakeSchema } from '../../shared/snowflake-schema.js';
import { joinVoice, leaveVoice } from '../../shared/voice-chat/join.js';
import { leftVoiceState } from '../../shared/voice-chat/states.js';
import type { GatewayContext } from '../sessions/connect.js';
import type { GatewaySocket } from '../types.js';

const snowflake = snowflakeSchema;

/** `voice_state_update {channel_id|null, self_mute, self_deaf}`: join, move between or leave voice channels. */
export const voiceStateUpdateSchema = Joi.object({
  channel_id: snowflake().allow(null).required(),
  self_mute: Joi.boolean().default(false),
  self_deaf: Joi.boolean().default(false),
});

export async function voiceStateUpdate(
  ctx: GatewayContext,
  socket: GatewaySocket,
  input: { channel_id: string | null; self_mute: boolean; self_deaf: boolean },
): Promise<Record<string, unknown>> {
  const { userId, sessionId, authSessionId } = socket.data;
  if (input.channel_id === null) {
    const left = await leaveVoice(ctx.rt, userId);
    return { voice_state: left ? leftVoiceState(left) : null };
  }
  const state = await joinVoice(
    ctx.rt,
    { userId, sessionId, authSessionId },
    { channel_id: input.channel_id, self_mute: input.self_mute, self_deaf: input.self_deaf },
  );
  return { voice_state: state };
}
