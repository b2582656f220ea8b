import Joi from 'joi';
import { DELIVERY_STATUSES } from '../../../shared/db/models/index.js';
import { OUTGOING_EVENT_TYPES } from '../../../shared/integrations/event-types.js';
import { pagination, snowflake } from '../common-schemas.js';

/** Most channels one subscription may filter on. */
export const MAX_FILTER_CHANNELS = 100;

const receiverUrl = () =>
  Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .max(2048)
    .description('where deliveries are POSTed (http or https; private addresses are refused)');

const events = () =>
  Joi.array()
    .items(Joi.string().valid(...OUTGOING_EVENT_TYPES))
    .min(1)
    .unique()
    .description('gateway dispatch names to receive');

const channelIds = () =>
  Joi.array()
    .items(snowflake())
    .min(1)
    .max(MAX_FILTER_CHANNELS)
    .unique()
    .allow(null)
    .description(
      'only events in these channels (and their threads); null or absent: every channel. ' +
        'Server-wide events (members) are not filtered.',
    );

export const eventWebhookParams = Joi.object({ webhook_id: snowflake().required() });
export const deliveryParams = Joi.object({
  webhook_id: snowflake().required(),
  delivery_id: snowflake().required(),
});

export const createEventWebhookBody = Joi.object({
  url: receiverUrl().required(),
  events: events().required(),
  channel_ids: channelIds(),
});

export const patchEventWebhookBody = Joi.object({
  url: receiverUrl(),
  events: events(),
  channel_ids: channelIds(),
  enabled: Joi.boolean().description(
    'false: stop deliveries (pending ones end as failed); true: re-enable and reset the failure count',
  ),
}).min(1);

export const deliveriesQuery = Joi.object({
  ...pagination,
  status: Joi.string()
    .valid(...DELIVERY_STATUSES)
    .description('only deliveries in this status'),
});

export const eventWebhookObject = Joi.object({
  id: Joi.string().required(),
  server_id: Joi.string().required(),
  creator_id: Joi.string().required().description('deliveries carry only what this user can see'),
  url: Joi.string().required(),
  events: Joi.array().items(Joi.string()).required(),
  channel_ids: Joi.array()
    .items(Joi.string())
    .allow(null)
    .required()
    .description('the filter: only the channels the caller can see are listed (null: every channel)'),
  enabled: Joi.boolean().required(),
  disabled_at: Joi.number().integer().allow(null).required(),
  disabled_reason: Joi.string().allow(null).required(),
  consecutive_failures: Joi.number()
    .integer()
    .required()
    .description('deliveries in a row that ended without success'),
  created_at: Joi.number().integer().required(),
  updated_at: Joi.number().integer().allow(null).required(),
}).meta({ className: 'EventWebhook' });

export const eventWebhookWithSecret = eventWebhookObject
  .keys({
    secret: Joi.string()
      .required()
      .description('`whsec_...`, shown only here: the HMAC key of X-Plexichat-Signature'),
  })
  .meta({ className: 'EventWebhookWithSecret' });

export const deliveryObject = Joi.object({
  id: Joi.string().required().description('also the body’s `id` and X-Plexichat-Delivery: dedupe on it'),
  webhook_id: Joi.string().required(),
  event: Joi.string().required(),
  status: Joi.string()
    .valid(...DELIVERY_STATUSES)
    .required(),
  attempts: Joi.number().integer().required().description('attempts made in the current round'),
  redeliveries: Joi.number().integer().required().description('manual redeliveries so far'),
  last_status_code: Joi.number().integer().allow(null).required(),
  response_code: Joi.number()
    .integer()
    .allow(null)
    .required()
    .description('the last attempt’s HTTP status (the same as `last_status_code`)'),
  last_error: Joi.string().allow(null).required(),
  last_latency_ms: Joi.number().integer().allow(null).required(),
  next_attempt_at: Joi.number().integer().allow(null).required().description('when the next attempt is due'),
  created_at: Joi.number().integer().required(),
  completed_at: Joi.number().integer().allow(null).required(),
  redacted: Joi.boolean()
    .required()
    .description('true: the event is in a channel the caller cannot see, and `payload.data` is left out'),
  payload: Joi.object()
    .unknown()
    .required()
    .description('the JSON body sent (without `data` when `redacted`)'),
}).meta({ className: 'WebhookDelivery' });
