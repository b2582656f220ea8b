import Joi from 'joi';
import { pagination, snowflake } from '../common-schemas.js';

/** The longest message content accepted (characters). */
export const MAX_CONTENT_LENGTH = 4000;

const content = () =>
  Joi.string()
    .max(MAX_CONTENT_LENGTH)
    .pattern(/\S/)
    .message('{{#label}} must contain a non-whitespace character');

export const channelParams = Joi.object({ channel_id: snowflake().required() });
export const messageParams = Joi.object({
  channel_id: snowflake().required(),
  message_id: snowflake().required(),
});

export const sendBody = Joi.object({
  content: content().required(),
  nonce: Joi.alternatives()
    .try(
      Joi.string().max(64),
      Joi.number()
        .integer()
        .unsafe()
        .custom((n: number) => String(n)),
    )
    .description(
      'client-chosen; the same nonce from the same author in the same channel within 5 minutes returns the same message',
    ),
  reply_to: snowflake().description('a message in the same channel'),
});

export const editBody = Joi.object({ content: content().required() });

export const historyQuery = Joi.object(pagination);

export const messageObject = Joi.object({
  id: Joi.string().required(),
  channel_id: Joi.string().required(),
  author_id: Joi.string().required(),
  type: Joi.string().required(),
  content: Joi.string().allow('').required(),
  content_html: Joi.string().allow('').required(),
  nonce: Joi.string().allow(null).required(),
  created_at: Joi.number().integer().required(),
  edited_at: Joi.number().integer().allow(null).required(),
  attachments: Joi.array().required(),
  embeds: Joi.array().required(),
  pinned: Joi.boolean().required(),
  mentions: Joi.array().items(Joi.string()).required(),
  mention_roles: Joi.array().items(Joi.string()).required(),
  mention_everyone: Joi.boolean().required(),
  reply_to: Joi.string().allow(null).required(),
}).meta({ className: 'Message' });

export const pendingMessage = Joi.object({
  id: Joi.string().required(),
  channel_id: Joi.string().required(),
  nonce: Joi.string().allow(null).required(),
  pending: Joi.boolean().valid(true).required(),
}).meta({ className: 'PendingMessage' });
