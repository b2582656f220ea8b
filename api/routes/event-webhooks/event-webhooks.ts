import Joi from 'joi';
import type { Runtime } from '../../../shared/runtime.js';
import { createEventWebhook } from '../../../shared/domain/event-webhooks/create.js';
import { deleteEventWebhook } from '../../../shared/domain/event-webhooks/delete.js';
import { pingEventWebhook } from '../../../shared/domain/event-webhooks/ping.js';
import { rotateEventWebhookSecret } from '../../../shared/domain/event-webhooks/rotate-secret.js';
import type { EventWebhookInput, EventWebhookPatch } from '../../../shared/domain/event-webhooks/rules.js';
import { updateEventWebhook } from '../../../shared/domain/event-webhooks/update.js';
import { getEventWebhook, listEventWebhooks } from '../../event-webhooks/reads.js';
import { listDeliveries, redeliver, type DeliveryQuery } from '../../event-webhooks/deliveries.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  createEventWebhookBody,
  deliveriesQuery,
  deliveryObject,
  deliveryParams,
  eventWebhookObject,
  eventWebhookParams,
  eventWebhookWithSecret,
  patchEventWebhookBody,
} from './schema.js';
import { serverIdParams } from '../servers/schema.js';

type ServerParams = { server_id: string };
type WebhookParams = { webhook_id: string };
type DeliveryParams = WebhookParams & { delivery_id: string };

const UNKNOWN =
  '`unknown_webhook`: unknown, or the caller may not manage it (not a member of its server, no ' +
  'MANAGE_WEBHOOKS there, or someone else’s webhook whose owner they do not outrank with MANAGE_SERVER)';
const DISABLED = '`webhook_disabled`: re-enable it first (PATCH `enabled: true`)';

/**
 * Outgoing event webhooks: subscriptions to a server's events, delivered as signed POSTs
 * (guide: Webhooks). Management needs MANAGE_WEBHOOKS server-wide, and a webhook is seen and
 * managed only by its owner or by members with MANAGE_SERVER who outrank the owner; bots use the
 * same routes.
 */
export function eventWebhookRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<ServerParams, Record<string, never>, EventWebhookInput>({
      method: 'post',
      path: '/servers/{server_id}/event-webhooks',
      access: 'user',
      summary: 'Subscribe a URL to a server’s events',
      description:
        'Needs MANAGE_WEBHOOKS server-wide (a bot subscribes the same way with its `Bot` token). `events` are ' +
        'gateway dispatch names; `channel_ids` optionally narrows channel events to those channels and their ' +
        'threads. `url` must be http(s) and lead to a public address: private, loopback, link-local and ' +
        'reserved targets are refused (400 naming `url`) unless the instance allowlists them ' +
        '(`outbound.allow_private`). Deliveries carry only what the creator can see at the time of each ' +
        'event. The answer is the only time the signing `secret` is shown. Audited as ' +
        '`event_webhook_create`. A server holds at most `webhooks.max_per_server` (400 `too_many_webhooks`).',
      tags: ['Webhooks'],
      status: 201,
      params: serverIdParams,
      body: createEventWebhookBody,
      responses: {
        201: { description: 'The subscription with its secret', schema: eventWebhookWithSecret },
        400: { description: 'Bad `url`, `events` or `channel_ids.N`; or `too_many_webhooks`' },
        403: { description: '`missing_permission` (MANAGE_WEBHOOKS)' },
        404: { description: '`unknown_server` (also for servers the caller is not in)' },
      },
      handler: ({ params, body, auth, req }) =>
        createEventWebhook(rt, params.server_id, auth.user.id, body, auditReason(req)),
    }),
    defineRoute<ServerParams>({
      method: 'get',
      path: '/servers/{server_id}/event-webhooks',
      access: 'user',
      summary: 'A server’s event webhooks',
      description:
        'Needs MANAGE_WEBHOOKS server-wide. Lists the caller’s own event webhooks and, for a member with ' +
        'MANAGE_SERVER, those of owners ranked below them (the server owner sees every one). Oldest first; ' +
        'secrets are never listed.',
      tags: ['Webhooks'],
      params: serverIdParams,
      responses: {
        200: { description: 'The subscriptions', schema: Joi.array().items(eventWebhookObject) },
        403: { description: '`missing_permission` (MANAGE_WEBHOOKS)' },
        404: { description: '`unknown_server`' },
      },
      handler: ({ params, auth }) => listEventWebhooks(rt, params.server_id, auth.user.id),
    }),
    defineRoute<WebhookParams>({
      method: 'get',
      path: '/event-webhooks/{webhook_id}',
      access: 'user',
      summary: 'An event webhook',
      description:
        'Needs MANAGE_WEBHOOKS in its server (the owner, or MANAGE_SERVER above the owner). Shows whether it is enabled, and why it was disabled.',
      tags: ['Webhooks'],
      params: eventWebhookParams,
      responses: {
        200: { description: 'The subscription', schema: eventWebhookObject },
        404: { description: UNKNOWN },
      },
      handler: ({ params, auth }) => getEventWebhook(rt, params.webhook_id, auth.user.id),
    }),
    defineRoute<WebhookParams, Record<string, never>, EventWebhookPatch>({
      method: 'patch',
      path: '/event-webhooks/{webhook_id}',
      access: 'user',
      summary: 'Edit an event webhook',
      description:
        'Needs MANAGE_WEBHOOKS in its server; the owner, or MANAGE_SERVER above the owner. `url`, `events` and ' +
        '`channel_ids` (null: every channel) as on creation; `channel_ids` may name only channels the caller ' +
        'can see. Whoever points someone else’s webhook at a new `url` becomes its owner (`creator_id`): ' +
        'deliveries then carry what they may see. `enabled: false` stops deliveries (pending ones end as `failed`); `enabled: true` ' +
        're-enables a disabled one (after failures, or by hand) and resets its failure count. Audited as ' +
        '`event_webhook_update` with the changed fields.',
      tags: ['Webhooks'],
      params: eventWebhookParams,
      body: patchEventWebhookBody,
      responses: {
        200: { description: 'The subscription', schema: eventWebhookObject },
        400: { description: 'Bad `url`, `events` or `channel_ids.N`' },
        404: { description: UNKNOWN },
      },
      handler: ({ params, body, auth, req }) =>
        updateEventWebhook(rt, params.webhook_id, auth.user.id, body, auditReason(req)),
    }),
    defineRoute<WebhookParams>({
      method: 'delete',
      path: '/event-webhooks/{webhook_id}',
      access: 'user',
      summary: 'Delete an event webhook',
      description:
        'Needs MANAGE_WEBHOOKS in its server (the owner, or MANAGE_SERVER above the owner). Nothing more is delivered (pending retries included) and its ' +
        'delivery log goes with it. Audited as `event_webhook_delete`.',
      tags: ['Webhooks'],
      status: 204,
      params: eventWebhookParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: UNKNOWN } },
      handler: async ({ params, auth, req }) => {
        await deleteEventWebhook(rt, params.webhook_id, auth.user.id, auditReason(req));
      },
    }),
    defineRoute<WebhookParams>({
      method: 'post',
      path: '/event-webhooks/{webhook_id}/secret',
      access: 'user',
      summary: 'Rotate an event webhook’s signing secret',
      description:
        'Needs MANAGE_WEBHOOKS in its server (the owner, or MANAGE_SERVER above the owner). Every attempt from now on (retries of older deliveries ' +
        'included) is signed with the new secret; the answer is the only time it is shown. Audited as ' +
        '`event_webhook_update` (changed key `secret`, no values).',
      tags: ['Webhooks'],
      params: eventWebhookParams,
      responses: {
        200: { description: 'The subscription with its new secret', schema: eventWebhookWithSecret },
        404: { description: UNKNOWN },
      },
      handler: ({ params, auth, req }) =>
        rotateEventWebhookSecret(rt, params.webhook_id, auth.user.id, auditReason(req)),
    }),
    defineRoute<WebhookParams>({
      method: 'post',
      path: '/event-webhooks/{webhook_id}/ping',
      access: 'user',
      summary: 'Send a test delivery',
      description:
        'Needs MANAGE_WEBHOOKS in its server (the owner, or MANAGE_SERVER above the owner). Queues a `PING` delivery (`data: {webhook_id}`), signed and ' +
        'retried like any other; follow it in the delivery log.',
      tags: ['Webhooks'],
      status: 202,
      params: eventWebhookParams,
      responses: {
        202: { description: 'The queued delivery', schema: deliveryObject },
        404: { description: UNKNOWN },
        409: { description: DISABLED },
      },
      handler: ({ params, auth }) => pingEventWebhook(rt, params.webhook_id, auth.user.id),
    }),
    defineRoute<WebhookParams, DeliveryQuery>({
      method: 'get',
      path: '/webhooks/{webhook_id}/deliveries',
      access: 'user',
      summary: 'An event webhook’s delivery log',
      description:
        'For an event webhook’s id; an incoming webhook sends nothing out, so its log is an empty list (to ' +
        'those who may manage it: MANAGE_WEBHOOKS in its channel). Needs MANAGE_WEBHOOKS in its ' +
        'server (its owner, or MANAGE_SERVER above the owner). The `data` of events in channels the caller ' +
        'cannot see is left out (`redacted: true`). Each delivery with its status (`pending`, `succeeded`, `failed`: refused without retry, ' +
        '`dead`: out of attempts), attempts, last response code (`response_code`), error and latency, and when the next ' +
        'attempt is due. Newest first (oldest first with `after`); `status` filters. Kept for ' +
        '`webhooks.retention_days`.',
      tags: ['Webhooks'],
      params: eventWebhookParams,
      query: deliveriesQuery,
      responses: {
        200: { description: 'Deliveries', schema: Joi.array().items(deliveryObject) },
        404: { description: UNKNOWN },
      },
      handler: ({ params, query, auth }) => listDeliveries(rt, params.webhook_id, auth.user.id, query),
    }),
    defineRoute<DeliveryParams>({
      method: 'post',
      path: '/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver',
      access: 'user',
      summary: 'Redeliver an event',
      description:
        'Needs MANAGE_WEBHOOKS in the event webhook’s server. Sends the delivery again whatever its status ' +
        '(dead and failed ones too): it becomes `pending` with a fresh series of attempts, keeping its id ' +
        '(receivers that already processed it can tell) and its original body, signed anew. Like every ' +
        'attempt, it is sent only if the webhook’s owner may still see the event (else `failed`, withheld).',
      tags: ['Webhooks'],
      status: 202,
      params: deliveryParams,
      responses: {
        202: { description: 'The delivery, pending again', schema: deliveryObject },
        404: { description: `${UNKNOWN}; \`unknown_delivery\`: not a delivery of this webhook` },
        409: { description: DISABLED },
      },
      handler: ({ params, auth }) => redeliver(rt, params.webhook_id, params.delivery_id, auth.user.id),
    }),
  ];
}
