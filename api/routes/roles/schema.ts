import Joi from 'joi';
import type { RoleFields, RolePosition } from '../../../shared/domain/roles/roles.js';
import { parsePermissions } from '../../../shared/permissions/index.js';
import { snowflake, userObject } from '../common-schemas.js';

/** A permission bitfield: a decimal string of known bits, normalized (no leading zeros). */
export const permissionsField = () =>
  Joi.string()
    .custom((value: string, helpers) => {
      try {
        return String(parsePermissions(value));
      } catch {
        return helpers.error('any.invalid');
      }
    })
    .messages({ 'any.invalid': '{{#label}} must be a decimal-string bitfield of known permission bits' });

export { serverIdParams as serverParams } from '../servers/schema.js';
export const roleParams = Joi.object({ server_id: snowflake().required(), role_id: snowflake().required() });
export const memberRoleParams = Joi.object({
  server_id: snowflake().required(),
  user_id: snowflake().required(),
  role_id: snowflake().required(),
});

const roleFields = {
  name: Joi.string().trim().min(1).max(100),
  permissions: permissionsField(),
  color: Joi.number().integer().min(0).max(0xffffff).description('RGB as an integer; 0 is no color'),
  hoist: Joi.boolean().description('shown separately in the member list'),
  mentionable: Joi.boolean(),
};

export const createRoleBody = Joi.object<RoleFields>(roleFields);
export const updateRoleBody = Joi.object<RoleFields>(roleFields).min(1);

export const reorderRolesBody = Joi.array()
  .items(
    Joi.object({
      id: snowflake().required(),
      position: Joi.number().integer().min(1).max(1000).required(),
    }),
  )
  .min(1)
  .max(250)
  .unique('id');

export const roleObject = Joi.object({
  id: Joi.string().required(),
  server_id: Joi.string().required(),
  name: Joi.string().required(),
  permissions: Joi.string().required().description('decimal-string bitfield'),
  position: Joi.number().integer().required(),
  color: Joi.number().integer().required(),
  hoist: Joi.boolean().required(),
  mentionable: Joi.boolean().required(),
  managed: Joi.boolean()
    .required()
    .description('a bot’s role: cannot be assigned, removed or deleted by hand; goes when the bot leaves'),
  tags: Joi.object({ bot_id: Joi.string().required() }).description('managed roles only'),
}).meta({ className: 'Role' });

export const memberObject = Joi.object({
  server_id: Joi.string().required(),
  user: userObject.required(),
  nick: Joi.string().allow(null).required(),
  roles: Joi.array().items(Joi.string()).required().description('role ids, @everyone excluded'),
  joined_at: Joi.number().integer().required(),
  communication_disabled_until: Joi.number()
    .integer()
    .allow(null)
    .required()
    .description('unix seconds until which the member is timed out, or null'),
}).meta({ className: 'Member' });

export type { RoleFields, RolePosition };
