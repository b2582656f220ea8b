import Joi from 'joi';
import { snowflakeSchema } from '../../shared/snowflake-schema.js';
import { inviteSpeaker, moveToAudience, requestToSpeak } from '../../shared/voice-chat/stage.js';
import type { GatewayContext } from '../sessions/connect.js';
import type { GatewaySocket } from '../types.js';

const snowflake = snowflakeSchema;

/** `request_to_speak {channel_id, raise?}`: raise (default) or lower one's hand in a stage. */
export const requestToSpeakSchema = Joi.object({
  channel_id: snowflake().required(),
  raise: Joi.boolean().default(true),
});

export async function requestToSpeakCommand(
  ctx: GatewayContext,
  socket: GatewaySocket,
  input: { channel_id: string; raise: boolean },
): Promise<Record<string, unknown>> {
  return { voice_state: await requestToSpeak(ctx.rt, socket.data.userId, input.channel_id, input.raise) };
}

/** `invite_speaker` / `move_to_audience {channel_id, user_id}`: stage moderators change who speaks. */
export const stageTargetSchema = Joi.object({
  channel_id: snowflake().required(),
  user_id: snowflake().required(),
});

export async function inviteSpeakerCommand(
  ctx: GatewayContext,
  socket: GatewaySocket,
  input: { channel_id: string; user_id: string },
): Promise<Record<string, unknown>> {
  return { voice_state: await inviteSpeaker(ctx.rt, socket.data.userId, input.channel_id, input.user_id) };
}

export async function moveToAudienceCommand(
  ctx: GatewayContext,
  socket: GatewaySocket,
  input: { channel_id: string; user_id: string },
): Promise<Record<string, unknown>> {
  return { voice_state: await moveToAudience(ctx.rt, socket.data.userId, input.channel_id, input.user_id) };
}
