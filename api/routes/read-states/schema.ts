import Joi from 'joi';
import { snowflake } from '../common-schemas.js';

export const ackParams = Joi.object({
  channel_id: snowflake().required(),
  message_id: snowflake().required(),
});

export const readStateObject = Joi.object({
  channel_id: Joi.string().required(),
  last_read_message_id: Joi.string().allow(null).required(),
  mention_count: Joi.number().integer().min(0).required(),
  unread: Joi.boolean().required().description('a message newer than last_read_message_id exists'),
}).meta({ className: 'ReadState' });
