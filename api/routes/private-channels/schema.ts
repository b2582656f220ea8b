import Joi from 'joi';
import { snowflake, userObject } from '../common-schemas.js';

export const createDmBody = Joi.object({ recipient_id: snowflake().required() });

/** A DM or notes channel: the channel object plus the people in it other than the caller. */
export const privateChannelObject = Joi.object({
  id: Joi.string().required(),
  server_id: Joi.valid(null).required(),
  parent_id: Joi.valid(null).required(),
  name: Joi.string().allow('').required().description('empty for DMs (show the recipient instead)'),
  channel_type: Joi.string().valid('dm', 'notes').required(),
  topic: Joi.string().allow(null).required(),
  position: Joi.number().integer().required(),
  nsfw: Joi.boolean().required(),
  slowmode_seconds: Joi.number().integer().required(),
  created_at: Joi.number().integer().required(),
  recipients: Joi.array()
    .items(userObject)
    .required()
    .description('the other person of a DM; empty for the caller’s notes channel'),
}).meta({ className: 'PrivateChannel' });
