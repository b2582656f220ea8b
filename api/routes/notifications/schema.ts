import Joi from 'joi';
import { NOTIFICATION_TYPES } from '../../../shared/db/models/index.js';
import { pagination, snowflake, userObject } from '../common-schemas.js';

export const inboxQuery = Joi.object({
  ...pagination,
  unread: Joi.boolean().description('only notifications not marked read'),
});

export const ackAllBody = Joi.object({
  before: snowflake().description('only notifications older than this notification id'),
});

export const notificationParams = Joi.object({ notification_id: snowflake().required() });

export const notificationObject = Joi.object({
  id: Joi.string().required(),
  type: Joi.string()
    .valid(...NOTIFICATION_TYPES)
    .required(),
  read: Joi.boolean().required(),
  created_at: Joi.number().integer().required(),
  server_id: Joi.string().allow(null).required(),
  channel_id: Joi.string().allow(null).required().description('null for webhook_disabled'),
  message_id: Joi.string().allow(null).required().description('null for webhook_disabled'),
  author_id: Joi.string().allow(null).required().description('null for webhook_disabled'),
  message: Joi.object({
    id: Joi.string().required(),
    channel_id: Joi.string().required(),
    author: userObject.allow(null).required(),
    content: Joi.string().allow('').required().description('the first 200 characters'),
  })
    .allow(null)
    .required()
    .description('null for webhook_disabled'),
  webhook: Joi.object({
    id: Joi.string().required(),
    url: Joi.string().required(),
    reason: Joi.string().required(),
  }).description('webhook_disabled only: the outgoing event webhook that was disabled, and why'),
}).meta({ className: 'Notification' });
