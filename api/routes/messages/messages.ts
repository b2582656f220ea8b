import Joi from 'joi';
import type { Row } from '../../../shared/db/models/index.js';
import { prepared, runPrepared } from '../../../shared/db/prepared.js';
import {
  ApiError,
  MissingPermissionError,
  NotFoundError,
  RateLimitedError,
  SendPendingError,
  ValidationError,
} from '../../../shared/errors.js';
import { Permission, has } from '../../../shared/permissions/index.js';
import { promiseId, storedIdOf } from '../../../shared/messages/stored-ids.js';
import { isSystemMessage } from '../../../shared/messages/system-messages.js';
import { presentStoredMessage } from '../../../shared/presenters/message-reactions.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import { messageJobId, type CreateMessageJob } from '../../../shared/queues/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { runScreenedCommand } from '../../automod/screen.js';
import { messageAccess, messageAccessPrefetch, type MessageAccess } from '../../messages/access.js';
import { checkAttachments, receiveMultipartSend, type SendInput } from '../../messages/attachments.js';
import { richEmbedsJob } from '../../../shared/messages/rich-embeds.js';
import { awaitMessageCommand, runMessageCommand, type CommandOutcome } from '../../messages/jobs.js';
import type { ApiServices } from '../../services.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  channelParams,
  editBody,
  historyQuery,
  messageObject,
  messageParams,
  pendingMessage,
  sendBody,
} from './schema.js';
import { blankContent, readsAllContent, visibleContent } from '../../applications/message-content.js';
import { historyPageJson, type HistoryPage } from '../../messages/history.js';
import { phase } from '../../middleware/server-timing.js';
import { requireVerifiedEmail } from '../../accounts/verified-email.js';

/** How long a nonce keeps pointing at the message it created (renewed by each send_pending answer). */
const NONCE_TTL_SECONDS = 300;

/**
 * A send's claims, atomically: KEYS[1] the nonce (empty: none) set to ARGV[1] for ARGV[2] seconds
 * unless taken (answers {1, the id it holds}), then KEYS[2] the author's slowmode slot (empty:
 * none) for ARGV[3] seconds unless taken (answers {2, its TTL}, and gives the nonce back). {0}:
 * claimed.
 */
const CLAIM_SEND = `
if KEYS[1] ~= '' and not redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX') then
  return {1, redis.call('GET', KEYS[1])}
end
if KEYS[2] ~= '' and not redis.call('SET', KEYS[2], '1', 'EX', ARGV[3], 'NX') then
  if KEYS[1] ~= '' then redis.call('DEL', KEYS[1]) end
  return {2, redis.call('TTL', KEYS[2])}
end
return {0}`;

type ClaimClient = {
  plexichatClaimSend(...args: (string | number)[]): Promise<[number, string | number | null]>;
};
type SendClaim =
  { kind: 'claimed' } | { kind: 'nonce_taken'; firstId: string | null } | { kind: 'slowmode'; ttl: number };

/** Whether a message is in a channel (a reply's target): one prepared statement. */
const MESSAGE_IN_CHANNEL = prepared<{ one: number }>(
  'message_in_channel',
  'SELECT 1 AS one FROM messages WHERE id = $1 AND channel_id = $2',
);

type ChannelParams = { channel_id: string };
type MessageParams = { channel_id: string; message_id: string };

/** POST/GET /channels/{id}/messages and GET/PATCH/DELETE /channels/{id}/messages/{id}. */
export function messageRoutes(rt: Runtime, services: ApiServices): AnyRoute[] {
  const { Message } = rt.models;
  const prefix = rt.config.redis.key_prefix;
  const sendWaitMs = rt.config.queues.send_wait_ms;

  async function findMessage(channelId: string, messageId: string): Promise<Row<'Message'>> {
    const row = await Message.findOne({ where: { id: messageId, channel_id: channelId } });
    if (!row) throw new NotFoundError('message');
    return row;
  }

  rt.redis.defineCommand('plexichatClaimSend', { numberOfKeys: 2, lua: CLAIM_SEND });
  const claimClient = rt.redis as unknown as ClaimClient;

  /**
   * The send's claims in one round trip (none when there is nothing to claim): its nonce (`nonceKey`,
   * null without one) for `id`, then, when `slowmode` seconds apply, the author's slowmode slot.
   */
  async function claimSend(
    nonceKey: string | null,
    slowmodeKey: string,
    id: string,
    slowmode: number,
  ): Promise<SendClaim> {
    if (!nonceKey && slowmode === 0) return { kind: 'claimed' };
    const [kind, value] = await claimClient.plexichatClaimSend(
      nonceKey ?? '',
      slowmode > 0 ? slowmodeKey : '',
      id,
      NONCE_TTL_SECONDS,
      slowmode,
    );
    if (kind === 1) return { kind: 'nonce_taken', firstId: typeof value === 'string' ? value : null };
    if (kind === 2) return { kind: 'slowmode', ttl: Number(value) };
    return { kind: 'claimed' };
  }

  /**
   * A send's answer: the stored message, or, when it was not stored within queues.send_wait_ms, 503
   * send_pending. Its id is promised (kept when stored, stored-ids.ts) and its nonce renewed, so a
   * retry with that nonce keeps finding it however long the workers take.
   */
  async function sendAnswer(
    outcome: CommandOutcome,
    pending: { id: string; channel_id: string; nonce: string | null },
    nonceKey: string | null,
  ): Promise<MessageObject | null> {
    if (outcome.done) return outcome.result;
    await promiseId(rt, pending.id);
    if (nonceKey) await rt.redis.expire(nonceKey, NONCE_TTL_SECONDS);
    throw new SendPendingError(pending, sendWaitMs);
  }

  /** An edit's answer: the stored message, or 202 + pending when the worker is slow. */
  async function answer(
    outcome: CommandOutcome,
    pending: { id: string; channel_id: string; nonce: string | null },
    res: { status(code: number): unknown },
  ) {
    if (outcome.done) return outcome.result;
    // The client is told this id before the message is stored: it keeps it (stored-ids.ts).
    await promiseId(rt, pending.id);
    res.status(202);
    return { ...pending, pending: true };
  }

  return [
    defineRoute<ChannelParams, Record<string, never>, SendInput>({
      method: 'post',
      path: '/channels/{channel_id}/messages',
      // Per channel and author: a burst of 10, then one a second on average.
      rateLimit: { points: 10, duration_seconds: 10 },
      access: 'user',
      summary: 'Send a message',
      description:
        'Needs SEND_MESSAGES (and MENTION_EVERYONE for @everyone/@here and unmentionable roles to ping). The message ' +
        'goes through the `messages` queue; the answer is the stored message. If it is not stored within ' +
        '`queues.send_wait_ms` (30 s by default), the answer is 503 `send_pending` `{retry_after, id, channel_id, ' +
        'nonce}` (and Retry-After): the message is queued and will be stored once, with that id, and arrive as ' +
        'MESSAGE_CREATE; sending the same `nonce` again (within 5 minutes of the last answer) answers the stored ' +
        'message, or send_pending again while it is still queued. Without a nonce a second send is a second ' +
        'message. Slowmode applies unless the caller has MANAGE_MESSAGES or MANAGE_CHANNELS. With ' +
        '`reply_to` (a message of this channel the caller can read: READ_MESSAGE_HISTORY, else 400 naming ' +
        '`reply_to`) the message has type `reply`. Link previews (`embeds` of type `link`, for the first 5 http(s) ' +
        'links outside code and not written as `<url>`) are made afterwards when the author has EMBED_LINKS, and ' +
        'arrive as MESSAGE_UPDATE: the answer never waits for a remote site. `embeds`: up to 10 rich embeds ' +
        '`{title?, description?, url?, color?, fields?}`, validated exactly as for webhooks, stored with ' +
        '`type: "rich"` and needing EMBED_LINKS (403 naming it); with embeds or attachments `content` may be ' +
        'empty. Edits change only `content`: rich embeds stay as sent (webhook messages cannot be edited either).',
      tags: ['Messages'],
      params: channelParams,
      body: sendBody,
      multipart: {
        fields: Joi.object({
          payload_json: Joi.string().description('the JSON body above, as a string'),
          files: Joi.array().items(Joi.binary()).description('files to attach (any field name)'),
        }),
      },
      responses: {
        200: { description: 'The stored message', schema: messageObject },
        403: {
          description:
            'Missing SEND_MESSAGES (EMBED_LINKS with embeds), a DM with a blocked user, or `email_unverified` (`auth.require_verified_email`)',
        },
        404: { description: 'Unknown channel, or one the caller cannot see' },
        429: { description: 'Slowmode: wait retry_after seconds' },
        503: {
          description:
            '`send_pending`: queued, not stored within `queues.send_wait_ms`; retry with the same nonce. ' +
            'Other codes: the queue (Redis) is unavailable, nothing was sent',
        },
      },
      // A multipart send also needs ATTACH_FILES.
      prefetch: messageAccessPrefetch(rt, Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES, (req) =>
        typeof req.is('multipart/form-data') === 'string' ? Permission.ATTACH_FILES : 0n,
      ),
      handler: async ({ body: jsonBody, auth, req, prefetched }) => {
        requireVerifiedEmail(rt.config, auth.user);
        const multipart = typeof req.is('multipart/form-data') === 'string';
        const access = await (prefetched as Promise<MessageAccess>);
        phase('access');
        const channel = access.channel;
        // Multipart: the files are stored as they stream in, then attached like uploaded ids.
        const body = multipart ? await receiveMultipartSend(rt, req, auth.user.id) : jsonBody;
        const attachments = await checkAttachments(
          rt,
          access.permissions,
          auth.user.id,
          body.attachments ?? [],
        );
        const embeds = body.embeds ?? [];
        // As on Discord: rich embeds are links and previews under the sender's control.
        if (embeds.length > 0 && !has(access.permissions, Permission.EMBED_LINKS))
          throw new MissingPermissionError('EMBED_LINKS');
        if (body.reply_to) {
          // Only a message the caller can read: without READ_MESSAGE_HISTORY an id is not proof of that.
          const target = has(access.permissions, Permission.READ_MESSAGE_HISTORY)
            ? (await runPrepared(rt.sequelize, MESSAGE_IN_CHANNEL, [body.reply_to, channel.id])).length
            : 0;
          if (!target)
            throw new ValidationError({ reply_to: 'is not a message in this channel you can read' });
        }
        const id = rt.snowflake.next();
        const nonce = body.nonce ?? null;
        const nonceKey = nonce ? `${prefix}:nonce:${auth.user.id}:${channel.id}:${nonce}` : null;
        const bypassSlowmode =
          access.policy === null ||
          has(access.permissions, Permission.MANAGE_MESSAGES) ||
          has(access.permissions, Permission.MANAGE_CHANNELS);
        const slowmode = channel.slowmode_seconds > 0 && !bypassSlowmode ? channel.slowmode_seconds : 0;
        const claim = await claimSend(
          nonceKey,
          `${prefix}:slowmode:${channel.id}:${auth.user.id}`,
          id,
          slowmode,
        );
        if (claim.kind === 'nonce_taken') {
          // A retry of a send we already took: answer with that message, never a second one.
          const firstId = claim.firstId;
          // Stored under a later id when its channel had a newer message (stored-ids.ts).
          const stored = firstId ? await Message.findByPk(await storedIdOf(rt, firstId)) : null;
          if (stored) return presentStoredMessage(rt, stored, auth.user.id);
          const outcome = firstId
            ? await awaitMessageCommand(rt, services, messageJobId('create', firstId), sendWaitMs)
            : null;
          if (outcome && firstId)
            return sendAnswer(outcome, { id: firstId, channel_id: channel.id, nonce }, nonceKey);
          throw new ApiError(409, 'nonce_in_use', 'A message with this nonce is being sent; retry shortly');
        }
        phase('claim');
        if (claim.kind === 'slowmode') throw new RateLimitedError(Math.max(1, claim.ttl));
        const command: CreateMessageJob = {
          kind: 'create',
          message: {
            id,
            channel_id: channel.id,
            author_id: auth.user.id,
            content: body.content ?? '',
            nonce,
            reply_to: body.reply_to ?? null,
            ...(attachments.length > 0 ? { attachments } : {}),
            ...richEmbedsJob(embeds),
            allow_everyone: has(access.permissions, Permission.MENTION_EVERYONE),
            embed_links: has(access.permissions, Permission.EMBED_LINKS),
          },
        };
        const outcome = await runScreenedCommand(
          rt,
          services,
          messageJobId('create', id),
          command,
          { channel, policy: access.policy, authorId: auth.user.id, screening: access.screening },
          sendWaitMs,
        ).catch(async (err: unknown) => {
          // Blocked: the nonce may be used again for a corrected message.
          if (nonceKey) await rt.redis.del(nonceKey);
          throw err;
        });
        return sendAnswer(outcome, { id, channel_id: channel.id, nonce }, nonceKey);
      },
    }),
    defineRoute<ChannelParams, HistoryPage>({
      method: 'get',
      path: '/channels/{channel_id}/messages',
      access: 'user',
      summary: 'Message history',
      description:
        'Cursor pagination by id: newest first with `before` or with neither; oldest first with `after` (and with ' +
        'both, the messages strictly between them, oldest first). Needs READ_MESSAGE_HISTORY.',
      tags: ['Messages'],
      params: channelParams,
      query: historyQuery,
      responses: { 200: { description: 'A page of messages', schema: Joi.array().items(messageObject) } },
      prefetch: messageAccessPrefetch(rt, Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY),
      handler: async ({ query, auth, res, prefetched }) => {
        const { channel } = await (prefetched as Promise<MessageAccess>);
        const page = await historyPageJson(rt, channel.id, auth.user.id, query);
        // The page goes out as Postgres wrote it unless a bot's view blanks some of it.
        if (await readsAllContent(rt, auth, channel)) return void res.type('json').send(page);
        return blankContent(JSON.parse(page) as MessageObject[], auth.user.id);
      },
    }),
    defineRoute<MessageParams>({
      method: 'get',
      path: '/channels/{channel_id}/messages/{message_id}',
      access: 'user',
      summary: 'One message',
      tags: ['Messages'],
      params: messageParams,
      responses: {
        200: { description: 'The message', schema: messageObject },
        404: { description: 'Unknown message' },
      },
      handler: async ({ params, auth }) => {
        const { channel } = await messageAccess(
          rt,
          params.channel_id,
          auth.user.id,
          Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY,
        );
        const message = await presentStoredMessage(
          rt,
          await findMessage(params.channel_id, params.message_id),
          auth.user.id,
        );
        const [visible] = await visibleContent(rt, auth, channel, [message]);
        return visible;
      },
    }),
    defineRoute<MessageParams, Record<string, never>, { content: string }>({
      method: 'patch',
      path: '/channels/{channel_id}/messages/{message_id}',
      access: 'user',
      summary: 'Edit a message (author only)',
      description:
        'Sets `edited_at`; MESSAGE_UPDATE goes to the channel (its `reactions` have `me: false`; this answer has ' +
        'the caller’s). System messages cannot be edited (400 `system_message`). Link previews are redone for the ' +
        'new content (another MESSAGE_UPDATE follows when they change).',
      tags: ['Messages'],
      params: messageParams,
      body: editBody,
      responses: {
        200: { description: 'The edited message', schema: messageObject },
        202: { description: 'Accepted; still being applied', schema: pendingMessage },
        400: { description: '`system_message`, or bad content' },
        403: { description: '`not_author`' },
        404: { description: 'Unknown message' },
      },
      handler: async ({ params, body, auth, res }) => {
        const access = await messageAccess(rt, params.channel_id, auth.user.id);
        const message = await findMessage(params.channel_id, params.message_id);
        if (isSystemMessage(message.type)) {
          throw new ApiError(400, 'system_message', 'System messages cannot be edited', {
            message_id: 'is a system message',
          });
        }
        // A webhook's message is stored under its creator, who did not write it.
        if (message.author_id !== auth.user.id || message.webhook_id)
          throw new ApiError(403, 'not_author', 'Only the author can edit a message');
        const editId = rt.snowflake.next();
        const outcome = await runScreenedCommand(
          rt,
          services,
          messageJobId('update', message.id, editId),
          {
            kind: 'update',
            edit_id: editId,
            message_id: message.id,
            channel_id: message.channel_id,
            content: body.content,
            allow_everyone: has(access.permissions, Permission.MENTION_EVERYONE),
            embed_links: has(access.permissions, Permission.EMBED_LINKS),
          },
          {
            channel: access.channel,
            policy: access.policy,
            authorId: auth.user.id,
            screening: access.screening,
          },
        );
        if (outcome.done) {
          if (outcome.result === null) throw new NotFoundError('message');
          // The worker's object is the gateway's (me=false); the editor gets theirs.
          const reactions = (await presentStoredMessage(rt, message, auth.user.id)).reactions;
          return { ...outcome.result, reactions };
        }
        return answer(outcome, { id: message.id, channel_id: message.channel_id, nonce: message.nonce }, res);
      },
    }),
    defineRoute<MessageParams>({
      method: 'delete',
      path: '/channels/{channel_id}/messages/{message_id}',
      access: 'user',
      summary: 'Delete a message (its author, or MANAGE_MESSAGES)',
      description:
        'A system message (member_join, pin_added, ...) only with MANAGE_MESSAGES, even for its author: in a DM, ' +
        'where nobody has it, they stay.',
      tags: ['Messages'],
      params: messageParams,
      status: 204,
      responses: {
        204: { description: 'Deleted (MESSAGE_DELETE goes to the channel)' },
        404: { description: 'Unknown message' },
      },
      handler: async ({ params, auth }) => {
        const access = await messageAccess(rt, params.channel_id, auth.user.id);
        const message = await findMessage(params.channel_id, params.message_id);
        const moderator = access.policy !== null && has(access.permissions, Permission.MANAGE_MESSAGES);
        // A system message's author (the pinner, the member who joined) did not write it.
        const mayAsAuthor =
          message.author_id === auth.user.id && !isSystemMessage(message.type) && !message.webhook_id;
        if (!mayAsAuthor && !moderator) {
          throw new ApiError(403, 'missing_permission', 'Missing permission: MANAGE_MESSAGES', undefined, {
            permission: 'MANAGE_MESSAGES',
          });
        }
        await runMessageCommand(rt, services, messageJobId('delete', message.id), {
          kind: 'delete',
          message_id: message.id,
          channel_id: message.channel_id,
        });
      },
    }),
  ];
}
