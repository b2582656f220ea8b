import Joi from 'joi';
import { snowflakeSchema } from '../../shared/snowflake-schema.js';
import { isThreadType } from '../../shared/db/models/channel.js';
import { startTyping } from '../../shared/events/index.js';
import { Permission, channelAccessFor, has } from '../../shared/permissions/index.js';
import type { GatewayContext } from '../sessions/connect.js';
import type { GatewaySocket } from '../types.js';
import { MissingPermissionError, NotFoundError } from '../../shared/errors.js';

/** `typing_start {channel_id}`: TYPING_START to the channel, for those who may send there. */
export const typingStartSchema = Joi.object({
  channel_id: snowflakeSchema().required(),
});

export async function typingStart(
  ctx: GatewayContext,
  socket: GatewaySocket,
  input: { channel_id: string },
): Promise<Record<string, unknown>> {
  const access = await channelAccessFor(ctx.rt, socket.data.userId, input.channel_id);
  if (!access) throw new NotFoundError('channel');
  // In a thread, sending is SEND_MESSAGES_IN_THREADS (as for messages themselves).
  const needed = isThreadType(access.channel.channel_type) ? 'SEND_MESSAGES_IN_THREADS' : 'SEND_MESSAGES';
  if (!has(access.permissions, Permission[needed])) throw new MissingPermissionError(needed);
  // A repeat within the throttle window is folded into the broadcast already sent.
  await startTyping(ctx.rt, socket.data.userId, access.channel);
  return {};
}
