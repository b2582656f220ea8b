import Joi from 'joi';
import { REAUTH_FIELD_DESCRIPTION, whenAccountHasPassword } from '../../accounts/reauthentication.js';
import { email, password, snowflake, username } from '../common-schemas.js';

export const userIdParams = Joi.object({ user_id: snowflake().required() });

const patchMeFields = Joi.object({
  username: username(),
  email: email().allow(null),
  password: password(),
  current_password: Joi.string()
    .max(128)
    .description(`to change email or password: ${REAUTH_FIELD_DESCRIPTION}`),
  avatar_url: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .max(2048)
    .allow(null),
  avatar: Joi.string()
    .max(2 * 1024 * 1024)
    .allow(null)
    .description(
      'an uploaded avatar as `data:image/<type>;base64,<data>` (the limits of PATCH /users/@me/avatar); null removes it',
    ),
}).min(1);
/** PATCH /users/@me's body: email and password changes need current_password when the account has one. */
export const patchMeBody = whenAccountHasPassword(
  patchMeFields,
  Joi.object().with('password', 'current_password').with('email', 'current_password'),
);

export const sessionObject = Joi.object({
  id: Joi.string().required(),
  created_at: Joi.number().integer().required(),
  last_used_at: Joi.number().integer().required(),
  ip: Joi.string().allow(null).required(),
  user_agent: Joi.string().allow(null).required(),
  current: Joi.boolean().required(),
}).meta({ className: 'Session' });

export const sessionParams = Joi.object({ session_id: snowflake().required() });

export const codeBody = Joi.object({ code: Joi.string().max(32).required() });

export const deleteMeBody = Joi.object({
  password: whenAccountHasPassword(Joi.string().max(128), Joi.required()).description(
    REAUTH_FIELD_DESCRIPTION,
  ),
  code: Joi.string().max(32).description('a TOTP code or an unused backup code; required when 2FA is on'),
});

/** What a 409 `owns_*` lists: each server or application to transfer or delete first. */
export const ownedThing = Joi.object({ id: Joi.string().required(), name: Joi.string().required() });

export const exportObject = Joi.object({
  status: Joi.string()
    .valid('none', 'pending', 'ready', 'failed', 'expired')
    .required()
    .description('none: never requested; expired: the archive was removed after accounts.export_ttl_hours'),
  id: Joi.string().description('the export (absent with status none)'),
  created_at: Joi.number().integer().description('when it was requested'),
  finished_at: Joi.number().integer().allow(null),
  expires_at: Joi.number().integer().allow(null).description('when the archive will be removed'),
  size: Joi.number().integer().allow(null).description('bytes of the archive'),
  url: Joi.string().description('status ready only: GET it with your token to download the zip archive'),
}).meta({ className: 'DataExport' });

export const exportParams = Joi.object({ export_id: snowflake().required() });

export const changePasswordBody = Joi.object({
  current_password: whenAccountHasPassword(Joi.string().max(128), Joi.required()).description(
    REAUTH_FIELD_DESCRIPTION,
  ),
  password: password().required(),
});

export const verifyEmailBody = Joi.object({
  token: Joi.string().max(128).required().description('the `token` of the verification link'),
});

/** The multipart form of PATCH /users/@me: the avatar as a file, and optionally a new username. */
export const patchMeForm = Joi.object<{ avatar: Buffer; username?: string }>({
  avatar: Joi.binary().required().description('PNG, JPEG, WebP or GIF; at most 4 MiB and 4096x4096'),
  username: username(),
});
