import Joi from 'joi';
import type { Runtime } from '../../../shared/runtime.js';
import type { ApiServices } from '../../services.js';
import {
  authenticateWebhook,
  webhookMessageJob,
  type ExecuteInput,
} from '../../../shared/domain/webhooks/execute.js';
import {
  postWebhookMessage,
  spendExecution,
  webhookLimiter,
  WEBHOOK_RATE_LIMIT,
} from '../../webhooks/execute.js';
import { receiveWebhookFiles } from '../../webhooks/execute-files.js';
import { createWebhook } from '../../../shared/domain/webhooks/create.js';
import { deleteWebhook } from '../../../shared/domain/webhooks/delete.js';
import { regenerateWebhookToken } from '../../../shared/domain/webhooks/regenerate-token.js';
import { updateWebhook } from '../../../shared/domain/webhooks/update.js';
import { listChannelWebhooks, listServerWebhooks } from '../../webhooks/webhook-reads.js';
import { auditReason } from '../audit-reason.js';
import { channelParams, messageObject } from '../messages/schema.js';
import { defineRoute, definePublicRoute, type AnyRoute } from '../route.js';
import { promiseId } from '../../../shared/messages/stored-ids.js';
import { SendPendingError } from '../../../shared/errors.js';
import {
  createWebhookBody,
  executeBody,
  executeParams,
  executeQuery,
  listedWebhook,
  patchWebhookBody,
  serverWebhooksParams,
  webhookObject,
  webhookParams,
  webhookWithToken,
} from './schema.js';

type ChannelParams = { channel_id: string };
type WebhookParams = { webhook_id: string };
type ExecuteParams = WebhookParams & { token: string };
type CreateBody = { name: string; avatar_url?: string | null };
type PatchBody = { name?: string; avatar_url?: string | null; channel_id?: string };

const NOT_MANAGEABLE =
  'Unknown webhook, or one the caller may not manage (not a member, channel hidden, or no MANAGE_WEBHOOKS there)';

// What the two lists show of each webhook (API.md: `{id, token, url}`, as Discord lists them).
const LISTED_TOKENS =
  'Each webhook comes with its `token` and `url`, as creating it answered; both are null for a webhook ' +
  'whose token predates sealed tokens (regenerating its token makes it listable).';

/** Incoming webhooks: management (MANAGE_WEBHOOKS) and the public execute route. */
export function webhookRoutes(rt: Runtime, services: ApiServices): AnyRoute[] {
  const limiter = webhookLimiter(rt);
  return [
    defineRoute<ChannelParams, Record<string, never>, CreateBody>({
      method: 'post',
      path: '/channels/{channel_id}/webhooks',
      access: 'user',
      summary: 'Create an incoming webhook',
      description:
        'Needs MANAGE_WEBHOOKS in the channel, a server text channel (other types: 400 naming `channel_id`). ' +
        '`name` is 1-80 characters and may not contain words that pass for the instance or its staff ' +
        '("plexichat", "system", "admin", "moderator", "official"). The answer carries the `token` (256 random ' +
        'bits; its SHA-256 verifies executions, and a copy sealed with the instance key lets the webhook lists ' +
        'show it to managers) and `url`, where to POST messages. A channel holds at most ' +
        '`webhooks.max_incoming_per_channel` (15; 400 `too_many_webhooks`). Audited as `webhook_create` (reason ' +
        'from `X-Audit-Log-Reason`; never the token).',
      tags: ['Webhooks'],
      status: 201,
      params: channelParams,
      body: createWebhookBody,
      responses: {
        201: { description: 'The webhook with its token', schema: webhookWithToken },
        400: { description: 'Bad `name` or `avatar_url`, not a text channel, or `too_many_webhooks` in it' },
        403: { description: '`missing_permission` (MANAGE_WEBHOOKS)' },
        404: { description: '`unknown_channel` (also for channels the caller cannot see)' },
      },
      handler: ({ params, body, auth, req }) =>
        createWebhook(rt, params.channel_id, auth.user.id, body, auditReason(req)),
    }),
    defineRoute<ChannelParams>({
      method: 'get',
      path: '/channels/{channel_id}/webhooks',
      access: 'user',
      summary: 'A channel’s incoming webhooks',
      description: `Needs MANAGE_WEBHOOKS in the channel. Oldest first. ${LISTED_TOKENS}`,
      tags: ['Webhooks'],
      params: channelParams,
      responses: {
        200: { description: 'The webhooks, with their tokens', schema: Joi.array().items(listedWebhook) },
        403: { description: '`missing_permission` (MANAGE_WEBHOOKS)' },
        404: { description: '`unknown_channel`' },
      },
      handler: ({ params, auth }) => listChannelWebhooks(rt, params.channel_id, auth.user.id),
    }),
    defineRoute<{ server_id: string }>({
      method: 'get',
      path: '/servers/{server_id}/webhooks',
      access: 'user',
      summary: 'A server’s incoming webhooks',
      description:
        'Needs MANAGE_WEBHOOKS server-wide; lists the webhooks of the channels where the caller still has ' +
        `VIEW_CHANNEL and MANAGE_WEBHOOKS after overwrites. Oldest first. ${LISTED_TOKENS}`,
      tags: ['Webhooks'],
      params: serverWebhooksParams,
      responses: {
        200: { description: 'The webhooks, with their tokens', schema: Joi.array().items(listedWebhook) },
        403: { description: '`missing_permission` (MANAGE_WEBHOOKS)' },
        404: { description: '`unknown_server`' },
      },
      handler: ({ params, auth }) => listServerWebhooks(rt, params.server_id, auth.user.id),
    }),
    defineRoute<WebhookParams, Record<string, never>, PatchBody>({
      method: 'patch',
      path: '/webhooks/{webhook_id}',
      access: 'user',
      summary: 'Edit an incoming webhook',
      description:
        'Needs MANAGE_WEBHOOKS in its channel; moving it (`channel_id`, a text channel of the same server) ' +
        'needs MANAGE_WEBHOOKS in the target channel too. Messages it already posted keep their name and ' +
        'avatar. Audited as `webhook_update` with the changed fields.',
      tags: ['Webhooks'],
      params: webhookParams,
      body: patchWebhookBody,
      responses: {
        200: { description: 'The webhook', schema: webhookObject },
        400: {
          description: 'Bad `name`, `avatar_url` or `channel_id`, or `too_many_webhooks` in the new channel',
        },
        403: { description: '`missing_permission` (MANAGE_WEBHOOKS in the target channel)' },
        404: { description: `\`unknown_webhook\`: ${NOT_MANAGEABLE}; \`unknown_channel\` for the target` },
      },
      handler: ({ params, body, auth, req }) =>
        updateWebhook(rt, params.webhook_id, auth.user.id, body, auditReason(req)),
    }),
    defineRoute<WebhookParams>({
      method: 'delete',
      path: '/webhooks/{webhook_id}',
      access: 'user',
      summary: 'Delete an incoming webhook',
      description:
        'Needs MANAGE_WEBHOOKS in its channel. Its URL stops working at once (404 `unknown_webhook`); the ' +
        'messages it posted stay. Audited as `webhook_delete`.',
      tags: ['Webhooks'],
      status: 204,
      params: webhookParams,
      responses: {
        204: { description: 'Deleted' },
        404: { description: `\`unknown_webhook\`: ${NOT_MANAGEABLE}` },
      },
      handler: async ({ params, auth, req }) => {
        await deleteWebhook(rt, params.webhook_id, auth.user.id, auditReason(req));
      },
    }),
    defineRoute<WebhookParams>({
      method: 'post',
      path: '/webhooks/{webhook_id}/token',
      access: 'user',
      summary: 'Regenerate an incoming webhook’s token',
      description:
        'Needs MANAGE_WEBHOOKS in its channel. The old token (and URL) stops working at once; the answer and ' +
        'the webhook lists show the new one (this also gives a webhook from before sealed tokens a listable ' +
        'token). Audited as `webhook_update` (changes name `token`, no values).',
      tags: ['Webhooks'],
      params: webhookParams,
      responses: {
        200: { description: 'The webhook with its new token', schema: webhookWithToken },
        404: { description: `\`unknown_webhook\`: ${NOT_MANAGEABLE}` },
      },
      handler: ({ params, auth, req }) =>
        regenerateWebhookToken(rt, params.webhook_id, auth.user.id, auditReason(req)),
    }),
    definePublicRoute<ExecuteParams, { wait: boolean }, ExecuteInput>({
      method: 'post',
      path: '/webhooks/{webhook_id}/{token}',
      // postWebhooksWebhookIdToken is the token regeneration's (/webhooks/{webhook_id}/token).
      operationId: 'executeWebhook',
      // Limited per webhook by its own limiter (api/webhooks/execute.ts), which sets the headers.
      rateLimit: false,
      summary: 'Execute an incoming webhook',
      description:
        'No user auth: the token in the path is the credential (an unknown webhook, a deleted one and a wrong ' +
        'token all answer 404 `unknown_webhook`). JSON `{content?, username?, avatar_url?, embeds?}`: `content` ' +
        '(at most 4000 characters) or `embeds` (up to 10 `{title?, description?, url?, color?, fields?}`, ' +
        'stored with `type: "rich"`) is required; `username`/`avatar_url` override the webhook’s for this ' +
        'message. The message goes through the `messages` queue like a member’s and arrives as MESSAGE_CREATE ' +
        'with `webhook_id` set and `author` `{id: webhook_id, username, avatar_url, bot: true}` (its ' +
        '`author_id` is the webhook’s creator). Mentions work as for a member without MENTION_EVERYONE. `?wait=true` ' +
        'answers 200 with the stored message, or, when it is not stored within `queues.send_wait_ms`, 503 ' +
        '`send_pending` `{retry_after, id, channel_id}` (it is queued and will be stored once, with that id: ' +
        'executing again sends a second message); without it, 204 once queued. ' +
        `At most ${WEBHOOK_RATE_LIMIT.points} executions per ${WEBHOOK_RATE_LIMIT.duration_seconds} s per ` +
        'webhook (429 with `retry_after`; X-RateLimit-* headers on every answer). Files: multipart/form-data ' +
        'with `payload_json` (the JSON body as a string) and file parts, checked like member uploads ' +
        '(sniffed types, size and pixel limits); with files, content and embeds are optional.',
      tags: ['Webhooks'],
      params: executeParams,
      query: executeQuery,
      body: executeBody,
      multipart: {
        fields: Joi.object({
          payload_json: Joi.string().description('the JSON body, as a string'),
          files: Joi.array().items(Joi.binary()).description('files to attach (any field name)'),
        }),
      },
      responses: {
        200: { description: 'With `?wait=true`: the stored message', schema: messageObject },
        204: { description: 'Queued' },
        400: { description: 'Bad `content`, `username`, `avatar_url` or `embeds.N.<field>`' },
        404: { description: '`unknown_webhook` (unknown, deleted, or wrong token)' },
        429: { description: 'This webhook’s rate limit: wait retry_after seconds' },
        503: {
          description:
            'With `?wait=true`, `send_pending`: queued, not stored within `queues.send_wait_ms`. Other codes: ' +
            'the queue (Redis) is unavailable, nothing was sent',
        },
      },
      handler: async ({ params, query, body: jsonBody, req, res }) => {
        const webhook = await authenticateWebhook(rt, params.webhook_id, params.token);
        // Spent only after the token matched: strangers cannot use up a webhook's budget.
        await spendExecution(limiter, res, webhook.id);
        const multipart = typeof req.is('multipart/form-data') === 'string';
        const { input, attachments } = multipart
          ? await receiveWebhookFiles(rt, req, webhook)
          : { input: jsonBody, attachments: [] };
        const job = webhookMessageJob(rt, webhook, input);
        if (attachments.length > 0) job.message.attachments = attachments;
        const message = await postWebhookMessage(rt, services, job, query.wait);
        if (!query.wait) {
          res.status(204);
          return undefined;
        }
        if (message) return message;
        // The caller is told this id before the message is stored: it keeps it (stored-ids.ts).
        await promiseId(rt, job.message.id);
        throw new SendPendingError(
          { id: job.message.id, channel_id: job.message.channel_id, nonce: null },
          rt.config.queues.send_wait_ms,
        );
      },
    }),
  ];
}
