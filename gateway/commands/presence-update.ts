import Joi from 'joi';
import type { Activity, ChosenStatus } from '../../shared/presence/tracker.js';
import type { GatewayContext } from '../sessions/connect.js';
import type { GatewaySocket } from '../types.js';

/** Activity kinds, in the order of Discord's numbers for them (0 playing ... 5 competing). */
const ACTIVITY_TYPES = ['playing', 'streaming', 'listening', 'watching', 'custom', 'competing'] as const;

/**
 * `presence_update {status, activity?}`: the status everyone else sees (invisible: offline).
 * `offline`, a status value of data-types.txt, is taken for `invisible` (what it shows others);
 * an activity's `type` defaults to `playing` and may be Discord's number for it.
 */
export const presenceUpdateSchema = Joi.object({
  status: Joi.string()
    .replace(/^offline$/, 'invisible')
    .valid('online', 'idle', 'dnd', 'invisible')
    .required(),
  activity: Joi.object({
    type: Joi.alternatives()
      .try(
        Joi.string().valid(...ACTIVITY_TYPES),
        Joi.number()
          .integer()
          .min(0)
          .max(ACTIVITY_TYPES.length - 1)
          .custom((n: number) => ACTIVITY_TYPES[n]),
      )
      .default('playing')
      .messages({
        'alternatives.match': `{{#label}} must be one of [${ACTIVITY_TYPES.join(', ')}] (or 0-5)`,
      }),
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
