import { generateToken, hashToken } from '../../auth/tokens.js';
import type { Row, UserView } from '../../db/models/index.js';
import { ApiError, InteractionTimeoutError, NotFoundError, ValidationError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { storeInteractionDelivery } from '../../integrations/interaction-deliveries.js';
import { runCommand } from '../../outbox/index.js';
import { Permission, ServerPolicy } from '../../permissions/index.js';
import type { InteractionObject } from '../../presenters/interaction.js';
import { presentMember } from '../../presenters/role.js';
import { presentUser } from '../../presenters/user.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { effectiveServerCommands } from './commands.js';
import { resolveOptions, type GivenOption } from './options.js';
import {
  FOLLOWUP_WINDOW_SECONDS,
  claimAck,
  isAnswered,
  readOutcome,
  saveInteraction,
  type InteractionRecord,
  type Outcome,
} from './store.js';

/** A user's invocation (validated by invokeBody). */
export interface InvokeInput {
  application_id?: string;
  command: string;
  options: GivenOption[];
  channel_id: string;
}

/** A checked invocation, ready to be delivered: what is kept of it, and what the application gets. */
export interface Invocation {
  record: InteractionRecord;
  interaction: InteractionObject;
  app: Row<'Application'>;
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

/**
 * Checks a user's invocation of a slash command (bots may not invoke: 403 `bot_not_allowed`; the
 * channel, USE_APPLICATION_COMMANDS, the command and its options) and builds the interaction,
 * due by now + interactions.deadline_ms. Nothing is stored yet: startInteraction does that, once
 * the caller listens for the answer.
 */
export async function checkInvocation(
  rt: Runtime,
  invoker: { user: UserView; bot: boolean },
  input: InvokeInput,
): Promise<Invocation> {
  if (invoker.bot) throw new ApiError(403, 'bot_not_allowed', 'Bots cannot invoke slash commands');
  const { user } = invoker;
  const { channel, policy } = await commandChannel(rt, input.channel_id, user.id);
  const serverId = policy.server.id;
  const { command, app } = await resolveCommand(rt, serverId, input);
  const { options, resolved } = await resolveOptions(rt, command.options, input.options, policy);
  const member = await rt.models.Member.findOne({
    where: { server_id: serverId, user_id: user.id },
    rejectOnEmpty: true,
  });

  const id = rt.snowflake.next();
  const token = generateToken();
  const createdMs = decodeSnowflake(id).timestampMs;
  const record: InteractionRecord = {
    id,
    application_id: app.id,
    bot_user_id: app.bot_user_id,
    token_hash: hashToken(token).toString('hex'),
    user_id: user.id,
    server_id: serverId,
    channel_id: channel.id,
    command_id: command.id,
    command_name: command.name,
    deadline_at: Date.now() + rt.config.interactions.deadline_ms,
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
      rt.config,
      member,
      user,
      policy.facts.roles.map((r) => r.id),
    ),
    user: presentUser(rt.config, user),
    created_at: Math.floor(createdMs / 1000),
    respond_by: record.deadline_at,
  };
  return { record, interaction, app };
}

/**
 * Starts a checked invocation: the record is kept in Redis for the follow-up window, then the
 * interaction is delivered. An application with an interactions_url gets a delivery (a row in its
 * delivery log, committed with its first attempt's job on the webhooks queue as an outbox effect:
 * the worker POSTs it, signed, with retries until the deadline); one without gets
 * INTERACTION_CREATE in its bot user's room, dispatched directly (there is no row to commit it with).
 */
export async function startInteraction(rt: Runtime, { record, interaction, app }: Invocation): Promise<void> {
  await saveInteraction(rt, record);
  if (app.interactions_url) {
    await runCommand(rt, rooms.user(app.bot_user_id), (transaction, fx) =>
      storeInteractionDelivery(rt, app, interaction, transaction, fx),
    );
  } else {
    await rt.events.dispatch([rooms.user(app.bot_user_id)], 'INTERACTION_CREATE', interaction);
  }
}

/** How an interaction stands at its deadline: an answer taken just in time, or how it failed. */
export type AtDeadline = { taken: 'message' | 'ephemeral' | 'deferred' } | { outcome: Outcome };

/**
 * The deadline passed with no outcome heard: the interaction fails (later answers get 410) unless
 * an answer was taken just before, whose message may still be being stored (`taken`). A delivery
 * that failed meanwhile is its outcome; otherwise 504 `interaction_timeout`.
 */
export async function reachDeadline(rt: Runtime, record: InteractionRecord): Promise<AtDeadline> {
  const existing = await claimAck(rt, record, { type: 'expired' });
  const timeout = () => new InteractionTimeoutError(rt.config.interactions.deadline_ms);
  if (existing === null) throw timeout();
  if (!isAnswered(existing)) {
    const failed = await readOutcome(rt, record.id);
    if (failed) return { outcome: failed };
    throw timeout();
  }
  return { taken: existing.type as 'message' | 'ephemeral' | 'deferred' };
}
