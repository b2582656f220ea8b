import Joi from 'joi';
import { QueryTypes } from 'sequelize';
import type { Row } from '../../../shared/db/models/index.js';
import { ApiError, MissingPermissionError, NotFoundError } from '../../../shared/errors.js';
import { MAX_REACTION_EMOJI_PER_MESSAGE } from '../../../shared/messages/limits.js';
import { pageBy, pageOrder } from '../../../shared/pagination.js';
import { Permission, has } from '../../../shared/permissions/index.js';
import { presentUser } from '../../../shared/presenters/user.js';
import { messageJobId, type ReactionJob } from '../../../shared/queues/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { messageAccess, type MessageAccess } from '../../messages/access.js';
import { customEmojiUsable, emojiJobKey } from '../../messages/emoji.js';
import { runToggleCommand } from '../../messages/jobs.js';
import type { ApiServices } from '../../services.js';
import { userObject } from '../common-schemas.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { reactionParams, reactionUsersQuery, userReactionParams } from './schema.js';

/** Adding and removing reactions count together, per channel (Discord-like pacing). */
const REACTIONS_BUCKET = { points: 20, duration_seconds: 10, bucket: 'reactions' };

type ReactionParams = { channel_id: string; message_id: string; emoji: string };
type UserReactionParams = ReactionParams & { user_id: string };

const tooManyReactions = () =>
  new ApiError(
    400,
    'too_many_reactions',
    `A message can hold at most ${MAX_REACTION_EMOJI_PER_MESSAGE} different emoji`,
  );

const EMOJI_NOTE =
  '`{emoji}` is URL-encoded: a unicode emoji (a sequence of 1-64 emoji code points) or a custom emoji as ' +
  '`name:id`, identified by the whole text. Adding a custom emoji needs it to be an emoji of the message’s ' +
  'server (in DMs: of any server) under its current name, else 404 `unknown_emoji`; removing one works ' +
  'even after the emoji was deleted or renamed.';

/** Reactions: PUT/DELETE .../reactions/{emoji}/@me, DELETE .../reactions/{emoji}/{user_id}, GET .../reactions/{emoji}. */
export function reactionRoutes(rt: Runtime, services: ApiServices): AnyRoute[] {
  const { Message, MessageReaction, User } = rt.models;

  async function findMessage(channelId: string, messageId: string): Promise<Row<'Message'>> {
    const row = await Message.findOne({ where: { id: messageId, channel_id: channelId } });
    if (!row) throw new NotFoundError('message');
    return row;
  }

  /** Whether `userId` reacted with `emoji`, whether anyone did, and how many emoji the message has. */
  async function reactionState(messageId: string, emoji: string, userId: string) {
    const [row] = await rt.sequelize.query<{ mine: boolean; present: boolean; distinct: number }>(
      `SELECT coalesce(bool_or(emoji = $2 AND user_id = $3), false) AS mine,
              coalesce(bool_or(emoji = $2), false) AS present,
              count(DISTINCT emoji)::int AS distinct
         FROM message_reactions WHERE message_id = $1`,
      { bind: [messageId, emoji, userId], type: QueryTypes.SELECT },
    );
    return row ?? { mine: false, present: false, distinct: 0 };
  }

  /** A timed-out member keeps VIEW_CHANNEL and READ_MESSAGE_HISTORY but may not react at all. */
  function timedOut(access: MessageAccess): boolean {
    const until = access.policy?.facts.timeoutUntil;
    return !!until && until.getTime() > Date.now() && !has(access.permissions, Permission.ADMINISTRATOR);
  }

  function jobId(kind: ReactionJob['kind'], messageId: string, userId: string, emoji: string): string {
    return messageJobId(kind, messageId, `${userId}-${emojiJobKey(emoji)}`);
  }

  /** Queues a removal; answers 204, or 202 when the worker has not finished in time. */
  async function removeReaction(
    message: Row<'Message'>,
    emoji: string,
    userId: string,
    res: { status(code: number): { end(): unknown } },
  ): Promise<void> {
    const outcome = await runToggleCommand(
      rt,
      services,
      jobId('reaction_remove', message.id, userId, emoji),
      {
        kind: 'reaction_remove',
        message_id: message.id,
        channel_id: message.channel_id,
        user_id: userId,
        emoji,
      },
    );
    if (!outcome.done) res.status(202).end();
  }

  return [
    defineRoute<ReactionParams>({
      method: 'put',
      path: '/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me',
      rateLimit: REACTIONS_BUCKET,
      access: 'user',
      summary: 'Add the caller’s reaction',
      description:
        'Needs VIEW_CHANNEL and READ_MESSAGE_HISTORY; an emoji nobody has added to the message yet also needs ' +
        `ADD_REACTIONS (Discord’s rule), and a message holds at most ${MAX_REACTION_EMOJI_PER_MESSAGE} different ` +
        'emoji. A timed-out member cannot react. Goes through the `messages` queue; MESSAGE_REACTION_ADD ' +
        '`{channel_id, message_id, user_id, emoji}` goes to the channel. Adding a reaction the caller already ' +
        'has is a no-op (204, no event). ' +
        EMOJI_NOTE,
      tags: ['Reactions'],
      params: reactionParams,
      status: 204,
      responses: {
        204: { description: 'The caller has reacted with the emoji' },
        202: { description: 'Accepted; still being applied' },
        400: { description: 'A bad `emoji`, or `too_many_reactions`' },
        403: { description: 'Missing ADD_REACTIONS (for a new emoji) or READ_MESSAGE_HISTORY' },
        404: {
          description: 'Unknown channel or message, or `unknown_emoji` (a custom emoji not of this server)',
        },
      },
      handler: async ({ params, auth, res }) => {
        const userId = auth.user.id;
        const access = await messageAccess(
          rt,
          params.channel_id,
          userId,
          Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY,
        );
        const message = await findMessage(params.channel_id, params.message_id);
        if (timedOut(access)) throw new MissingPermissionError('ADD_REACTIONS');
        if (!(await customEmojiUsable(rt, params.emoji, access.channel.server_id))) {
          throw new NotFoundError('emoji');
        }
        const state = await reactionState(message.id, params.emoji, userId);
        if (state.mine) return;
        const mayAddNew = has(access.permissions, Permission.ADD_REACTIONS);
        if (!state.present) {
          if (!mayAddNew) throw new MissingPermissionError('ADD_REACTIONS');
          if (state.distinct >= MAX_REACTION_EMOJI_PER_MESSAGE) throw tooManyReactions();
        }
        const outcome = await runToggleCommand(
          rt,
          services,
          jobId('reaction_add', message.id, userId, params.emoji),
          {
            kind: 'reaction_add',
            message_id: message.id,
            channel_id: message.channel_id,
            user_id: userId,
            emoji: params.emoji,
            may_add_new: mayAddNew,
          },
        );
        if (!outcome.done) {
          res.status(202).end();
          return;
        }
        if (outcome.result === null) throw new NotFoundError('message');
        if (outcome.result && !outcome.result.reactions.some((r) => r.emoji === params.emoji && r.me)) {
          // The worker refused: the emoji's last reaction went away, or the message filled up, meanwhile.
          const now = await reactionState(message.id, params.emoji, userId);
          if (!now.mine) {
            throw mayAddNew ? tooManyReactions() : new MissingPermissionError('ADD_REACTIONS');
          }
        }
      },
    }),
    defineRoute<ReactionParams>({
      method: 'delete',
      path: '/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me',
      rateLimit: REACTIONS_BUCKET,
      access: 'user',
      summary: 'Remove the caller’s reaction',
      description:
        'MESSAGE_REACTION_REMOVE goes to the channel when there was one; removing a reaction the caller does not ' +
        'have is a no-op (204). ' +
        EMOJI_NOTE,
      tags: ['Reactions'],
      params: reactionParams,
      status: 204,
      responses: {
        204: { description: 'The caller has no reaction with the emoji' },
        202: { description: 'Accepted; still being applied' },
        404: { description: 'Unknown channel or message' },
      },
      handler: async ({ params, auth, res }) => {
        await messageAccess(rt, params.channel_id, auth.user.id);
        const message = await findMessage(params.channel_id, params.message_id);
        await removeReaction(message, params.emoji, auth.user.id, res);
      },
    }),
    defineRoute<UserReactionParams>({
      method: 'delete',
      path: '/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}',
      rateLimit: REACTIONS_BUCKET,
      access: 'user',
      summary: 'Remove someone’s reaction (MANAGE_MESSAGES)',
      description:
        'Needs MANAGE_MESSAGES unless `user_id` is the caller. MESSAGE_REACTION_REMOVE (with the reactor’s ' +
        '`user_id`) goes to the channel when there was such a reaction. ' +
        EMOJI_NOTE,
      tags: ['Reactions'],
      params: userReactionParams,
      status: 204,
      responses: {
        204: { description: 'The user has no reaction with the emoji' },
        202: { description: 'Accepted; still being applied' },
        403: { description: 'Missing MANAGE_MESSAGES' },
        404: { description: 'Unknown channel or message' },
      },
      handler: async ({ params, auth, res }) => {
        const own = params.user_id === auth.user.id;
        const access = await messageAccess(rt, params.channel_id, auth.user.id);
        const message = await findMessage(params.channel_id, params.message_id);
        if (!own && (access.policy === null || !has(access.permissions, Permission.MANAGE_MESSAGES))) {
          throw new MissingPermissionError('MANAGE_MESSAGES');
        }
        await removeReaction(message, params.emoji, params.user_id, res);
      },
    }),
    defineRoute<ReactionParams, { limit: number; after?: string; before?: string }>({
      method: 'get',
      path: '/channels/{channel_id}/messages/{message_id}/reactions/{emoji}',
      access: 'user',
      summary: 'Users who reacted with an emoji',
      description:
        'By user id, as API.md pages every list: newest (largest id) first with `before` or with neither, ' +
        'oldest first with `after` (with both, the users strictly between them, oldest first); `limit` 1-100, ' +
        'default 50. Needs READ_MESSAGE_HISTORY. An emoji nobody reacted with gives an empty list. ' +
        EMOJI_NOTE,
      tags: ['Reactions'],
      params: reactionParams,
      query: reactionUsersQuery,
      responses: {
        200: { description: 'Users, by id', schema: Joi.array().items(userObject) },
        404: { description: 'Unknown channel or message' },
      },
      handler: async ({ params, query, auth }) => {
        await messageAccess(
          rt,
          params.channel_id,
          auth.user.id,
          Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY,
        );
        const message = await findMessage(params.channel_id, params.message_id);
        const page = pageBy('user_id', query);
        const rows = await MessageReaction.findAll({
          where: { message_id: message.id, emoji: params.emoji, ...page.where },
          order: page.order,
          limit: page.limit,
        });
        if (rows.length === 0) return [];
        const users = await User.findAll({
          where: { id: rows.map((r) => r.user_id) },
          order: [['id', pageOrder(query)]],
        });
        return users.map((u) => presentUser(rt.config, u));
      },
    }),
  ];
}
