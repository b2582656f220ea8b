import Joi from 'joi';
import { snowflake } from '../common-schemas.js';

export const serverIdParams = Joi.object({ server_id: snowflake().required() });

const name = () => Joi.string().trim().min(1).max(100);
const description = () => Joi.string().max(1000).allow(null, '');

export const createServerBody = Joi.object({
  name: name().required(),
  description: description(),
});

export const patchServerBody = Joi.object({
  name: name(),
  description: description(),
  icon_url: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .max(2048)
    .allow(null),
  owner_id: snowflake().description('transfers the ownership (owner only; must be a member)'),
}).min(1);

/** The server object. */
export const serverObject = Joi.object({
  id: Joi.string().required(),
  name: Joi.string().required(),
  description: Joi.string().allow(null).required(),
  icon_url: Joi.string().allow(null).required(),
  owner_id: Joi.string().required(),
  member_count: Joi.number().integer().required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'Server' });
