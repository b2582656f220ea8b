import Joi from 'joi';
import { snowflake } from '../common-schemas.js';
import { EMBED_LIMITS, httpUrl, richEmbed } from '../messages/schema.js';
import { contentUnlessEmbeds, messageContent } from '../../../shared/messages/schema.js';

/** Words a webhook may not call itself: it must not pass for the instance or its staff. */
const RESERVED_NAME = /plexichat|system|clyde|discord|admin(istrator)?|moderator|official/i;

const name = () =>
  Joi.string()
    .trim()
    .min(1)
    .max(80)
    .pattern(RESERVED_NAME, { invert: true })
    .message('{{#label}} may not contain "plexichat", "system", "admin", "moderator" or "official"');

export const webhookParams = Joi.object({ webhook_id: snowflake().required() });
export const executeParams = Joi.object({
  webhook_id: snowflake().required(),
  token: Joi.string()
    .pattern(/^[A-Za-z0-9_-]{1,200}$/)
    .required(),
});
export const serverWebhooksParams = Joi.object({ server_id: snowflake().required() });

export const createWebhookBody = Joi.object({
  name: name().required(),
  avatar_url: httpUrl().allow(null),
});

export const patchWebhookBody = Joi.object({
  name: name(),
  avatar_url: httpUrl().allow(null),
  channel_id: snowflake().description('move the webhook (MANAGE_WEBHOOKS in both channels)'),
}).min(1);

export const webhookObject = Joi.object({
  id: Joi.string().required(),
  server_id: Joi.string().required(),
  channel_id: Joi.string().required(),
  creator_id: Joi.string().required(),
  name: Joi.string().required(),
  avatar_url: Joi.string().allow(null).required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'Webhook' });

export const webhookWithToken = webhookObject
  .keys({
    token: Joi.string().required().description('the credential to execute it: keep it secret'),
    url: Joi.string().required().description('POST here to execute the webhook'),
  })
  .meta({ className: 'WebhookWithToken' });

export const listedWebhook = webhookObject
  .keys({
    token: Joi.string()
      .allow(null)
      .required()
      .description('the credential to execute it; null for a webhook whose token predates sealed tokens'),
    url: Joi.string()
      .allow(null)
      .required()
      .description('POST here to execute the webhook; null with `token`'),
  })
  .meta({ className: 'ListedWebhook' });

const executeKeys = {
  content: messageContent(),
  username: name().description('shown instead of the webhook’s name for this message'),
  avatar_url: httpUrl().description('shown instead of the webhook’s avatar for this message'),
  embeds: Joi.array().max(EMBED_LIMITS.count).items(richEmbed),
};

/** Content or at least one embed (`content` is the field named when both are missing). */
export const executeBody = Joi.object({ ...executeKeys, content: contentUnlessEmbeds() });

/** The same fields when files come along (multipart): then content and embeds are optional. */
export const executeWithFilesBody = Joi.object(executeKeys);

export const executeQuery = Joi.object({
  wait: Joi.boolean().default(false).description('answer with the stored message instead of 204'),
});
