import { generateToken, hashToken } from '../../shared/auth/tokens.js';
import type { Row } from '../../shared/db/models/index.js';
import {
  ApiError,
  InteractionFailedError,
  InteractionTimeoutError,
  NotFoundError,
  ValidationError,
} from '../../shared/errors.js';
import { Permission, ServerPolicy } from '../../shared/permissions/index.js';
import { queueInteractionDelivery } from '../../shared/integrations/interaction-deliveries.js';
import type { InteractionObject } from '../../shared/presenters/interaction.js';
import { presentMember } from '../../shared/presenters/role.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import { presentUser } from '../../shared/presenters/user.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import type { AuthContext } from '../auth/context.js';
import { effectiveServerCommands } from './commands.js';
import { deliverOverGateway } from './deliver.js';
import { resolveOptions, type GivenOption } from './options.js';
import {
  FOLLOWUP_WINDOW_SECONDS,
  claimAck,
  isAnswered,
  readOutcome,
  saveInteraction,
  type InteractionRecord,
  type Outcome,
} from '../../shared/domain/interactions/store.js';
import type { OutcomeWaiter } from './waiter.js';

/** A user's invocation (validated by invokeBody). */
export interface InvokeInput {
  application_id?: string;
  command: string;
  options: GivenOption[];
  channel_id: string;
}

/** What the invoking user is answered. */
export interface InteractionResult {
  id: string;
  status: 'message' | 'ephemeral' | 'deferred';
  message?: MessageObject;
}

/** Channels slash commands run in: where messages go (DMs are refused, see the guide). */
const COMMAND_CHANNEL_TYPES = new Set(['text', 'public_thread', 'private_thread']);

/**
 * The channel and the invoker's standing in it: 404 when unknown or invisible, 403 without
 * USE_APPLICATION_COMMANDS, 400 for DMs and channels without messages.
 */
async function commandChannel(
  rt: Runtime,
  channelId: string,
  userId: string,
): Promise<{ channel: Row<'Channel'>; policy: ServerPolicy }> {
  const channel = await rt.models.Channel.findByPk(channelId);
  if (!channel) throw new NotFoundError('channel');
  if (channel.server_id === null) {
    const recipient = await rt.models.ChannelRecipient.count({
      where: { channel_id: channel.id, user_id: userId },
    });
    if (recipient === 0) throw new NotFoundError('channel');
    throw new ValidationError({ channel_id: 'slash commands run in server channels, not in DMs' });
  }
  const policy = await ServerPolicy.load(rt, channel.server_id, userId).catch(() => {
    throw new NotFoundError('channel');
  });
  await policy.requireChannel(channel, Permission.USE_APPLICATION_COMMANDS);
  if (!COMMAND_CHANNEL_TYPES.has(channel.channel_type)) {
    throw new ApiError(
      400,
      'invalid_channel_type',
      `Slash commands cannot run in a ${channel.channel_type} channel`,
    );
  }
  return { channel, policy };
}

/**
 * The command a name means in a server: among applications whose bot is a member (only
 * `application_id`'s when given), a server command before a global one of the same application.
 * The same name in several applications needs `application_id` (400 naming it).
 */
async function resolveCommand(rt: Runtime, serverId: string, input: InvokeInput) {
  const found = await effectiveServerCommands(rt, serverId, {
    name: input.command,
    ...(input.application_id ? { appId: input.application_id } : {}),
  });
  const command = found[0];
  if (!command) throw new NotFoundError('command');
  if (found.length > 1) {
    throw new ValidationError({
      application_id: `several applications here have a "${input.command}" command: say which (${found
        .map((c) => c.application_id)
        .join(', ')})`,
    });
  }
  const app = await rt.models.Application.findByPk(command.application_id, { rejectOnEmpty: true });
  return { command, app };
}

/** The answer once an outcome is known. */
function finish(id: string, outcome: Outcome): InteractionResult {
  if ('failed' in outcome) throw new InteractionFailedError(outcome.failed);
  return { id, status: outcome.status, ...(outcome.message ? { message: outcome.message } : {}) };
}

/**
 * A user invokes a slash command. The interaction is checked (channel, permission, command,
 * options), kept in Redis for the follow-up window, delivered (a job on the webhooks queue that
 * POSTs it, signed, to the application's interactions_url with retries until the deadline, or
 * INTERACTION_CREATE to its bot over the gateway), and the
 * request waits for the first answer until interactions.deadline_ms: then it fails with 504
 * `interaction_timeout` and a late answer is refused.
 */
export async function invokeCommand(
  rt: Runtime,
  waiter: OutcomeWaiter,
  auth: AuthContext,
  input: InvokeInput,
): Promise<InteractionResult> {
  if (auth.kind === 'bot') throw new ApiError(403, 'bot_not_allowed', 'Bots cannot invoke slash commands');
  const { channel, policy } = await commandChannel(rt, input.channel_id, auth.user.id);
  const serverId = policy.server.id;
  const { command, app } = await resolveCommand(rt, serverId, input);
  const { options, resolved } = await resolveOptions(rt, command.options, input.options, policy);
  const member = await rt.models.Member.findOne({
    where: { server_id: serverId, user_id: auth.user.id },
    rejectOnEmpty: true,
  });

  const id = rt.snowflake.next();
  const token = generateToken();
  const createdMs = decodeSnowflake(id).timestampMs;
  const deadlineMs = rt.config.interactions.deadline_ms;
  const record: InteractionRecord = {
    id,
    application_id: app.id,
    bot_user_id: app.bot_user_id,
    token_hash: hashToken(token).toString('hex'),
    user_id: auth.user.id,
    server_id: serverId,
    channel_id: channel.id,
    command_id: command.id,
    command_name: command.name,
    deadline_at: Date.now() + deadlineMs,
    expires_at: Date.now() + FOLLOWUP_WINDOW_SECONDS * 1000,
  };
  const interaction: InteractionObject = {
    id,
    application_id: app.id,
    type: 'command',
    token,
    data: { id: command.id, name: command.name, options, resolved },
    server_id: serverId,
    channel_id: channel.id,
    member: presentMember(
      member,
      auth.user,
      policy.facts.roles.map((r) => r.id),
    ),
    user: presentUser(auth.user),
    created_at: Math.floor(createdMs / 1000),
    respond_by: record.deadline_at,
  };

  const listener = await waiter.listen(id);
  try {
    await saveInteraction(rt, record);
    if (app.interactions_url) await queueInteractionDelivery(rt, app, interaction);
    else await deliverOverGateway(rt, interaction, app.bot_user_id);
    const outcome = await listener.next(Math.max(0, record.deadline_at - Date.now()));
    if (outcome) return finish(id, outcome);
    // The deadline: fail the interaction unless an answer was taken just before it.
    const existing = await claimAck(rt, record, { type: 'expired' });
    if (existing === null) throw new InteractionTimeoutError(deadlineMs);
    if (!isAnswered(existing)) {
      const failed = await readOutcome(rt, id);
      if (failed) return finish(id, failed);
      throw new InteractionTimeoutError(deadlineMs);
    }
    // Taken in time; its message is still being stored.
    const late = (await listener.next(rt.config.queues.wait_timeout_ms)) ?? (await readOutcome(rt, id));
    if (late) return finish(id, late);
    return { id, status: existing.type as InteractionResult['status'] };
  } finally {
    listener.close();
  }
}
