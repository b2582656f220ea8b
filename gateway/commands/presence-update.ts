import Joi from 'joi';
import type { Activity, ChosenStatus } from '../../shared/presence/tracker.js';
import type { GatewayContext } from '../sessions/connect.js';
import type { GatewaySocket } from '../types.js';

/** `presence_update {status, activity?}`: the status everyone else sees (invisible: offline). */
export const presenceUpdateSchema = Joi.object({
  status: Joi.string().valid('online', 'idle', 'dnd', 'invisible').required(),
  activity: Joi.object({
    type: Joi.string()
      .valid('playing', 'streaming', 'listening', 'watching', 'custom', 'competing')
      .required(),
    name: Joi.string().trim().min(1).max(128).required(),
  })
    .allow(null)
    .default(null),
});

export async function presenceUpdate(
  ctx: GatewayContext,
  socket: GatewaySocket,
  input: { status: ChosenStatus; activity: Activity },
): Promise<Record<string, unknown>> {
  const presence = await ctx.presence.set(socket.data.userId, input.status, input.activity);
  return { presence };
}
