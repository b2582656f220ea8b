import Joi from 'joi';
import { email, password, selfUserObject, username } from '../common-schemas.js';

export const registerBody = Joi.object({
  username: username().required(),
  password: password().required(),
  email: email(),
  invite: Joi.string()
    .pattern(/^[A-Za-z0-9]{1,16}$/)
    .message('{{#label}} must be an invite code')
    .description(
      'a server invite code: required when `auth.registration` is `invite_only` (GET /instance); ' +
        'registering uses it and joins its server',
    ),
});

export const loginBody = Joi.object({
  login: Joi.string().min(1).max(254).required().description('username or email'),
  password: Joi.string().min(1).max(128).required(),
});

export const mfaBody = Joi.object({
  ticket: Joi.string().max(128).required(),
  code: Joi.string().max(32).required().description('a 6-digit TOTP code or a backup code'),
});

export const tokenResponse = Joi.object({
  token: Joi.string().required().description('shown once; send as `Authorization: Bearer <token>`'),
  user: selfUserObject.required(),
}).meta({ className: 'TokenResponse' });

export const loginResponse = Joi.alternatives()
  .try(
    tokenResponse,
    Joi.object({ mfa_required: Joi.boolean().valid(true).required(), ticket: Joi.string().required() }).meta({
      className: 'MfaRequired',
    }),
  )
  .meta({ className: 'LoginResponse' });

export const forgotBody = Joi.object({
  login: Joi.string().trim().min(1).max(254).required().description('username or email'),
});

export const resetBody = Joi.object({
  token: Joi.string().max(128).required().description('the `token` of the mailed (or issued) reset link'),
  password: password().required(),
});
