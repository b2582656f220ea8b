import Joi from 'joi';
import { startTyping } from '../../shared/events/index.js';
import { Permission, channelAccessFor, has } from '../../shared/permissions/index.js';
import type { GatewayContext } from '../sessions/connect.js';
import type { GatewaySocket } from '../types.js';
import { MissingPermissionError, NotFoundError, RateLimitedError } from '../../shared/errors.js';

/** `typing_start {channel_id}`: TYPING_START to the channel, for those who may send there. */
export const typingStartSchema = Joi.object({
  channel_id: Joi.string()
    .pattern(/^[0-9]{1,20}$/)
    .required(),
});

export async function typingStart(
  ctx: GatewayContext,
  socket: GatewaySocket,
  input: { channel_id: string },
): Promise<Record<string, unknown>> {
  const access = await channelAccessFor(ctx.rt, socket.data.userId, input.channel_id);
  if (!access) throw new NotFoundError('channel');
  if (!has(access.permissions, Permission.SEND_MESSAGES)) throw new MissingPermissionError('SEND_MESSAGES');
  const wait = await startTyping(ctx.rt, socket.data.userId, access.channel);
  if (wait !== null) throw new RateLimitedError(wait);
  return {};
}
