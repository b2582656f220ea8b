import Joi from 'joi';
import { email, pagination, password, snowflake, username } from '../common-schemas.js';

export interface AdminUsersQuery {
  limit: number;
  before?: string;
  after?: string;
  query?: string;
}

export const adminUsersQuery = Joi.object<AdminUsersQuery>({
  ...pagination,
  before: snowflake().description('users with a smaller id (older accounts), newest first'),
  after: snowflake().description('users with a larger id (newer accounts), oldest first'),
  query: Joi.string()
    .trim()
    .max(254)
    .allow('')
    .description('a prefix of the username or of the email address, any case'),
});

export const adminUserParams = Joi.object<{ user_id: string }>({ user_id: snowflake().required() });

export const patchAdminUserBody = Joi.object<{ disabled: boolean }>({
  disabled: Joi.boolean()
    .required()
    .description('true: the account can no longer sign in and every session ends at once'),
});

/** An account as instance admins see it (GET/PATCH /admin/users). */
export const adminUserObject = Joi.object({
  id: Joi.string().required(),
  username: Joi.string().required(),
  email: Joi.string().allow(null).required(),
  is_admin: Joi.boolean().required(),
  is_bot: Joi.boolean().required(),
  disabled_at: Joi.number().integer().allow(null).required(),
  deleted_at: Joi.number()
    .integer()
    .allow(null)
    .required()
    .description('when the account was deleted (it is then the placeholder `deleted_user_<id>`)'),
  created_at: Joi.number().integer().required(),
  session_count: Joi.number().integer().min(0).required().description('sessions not revoked'),
  mfa_enabled: Joi.boolean().required(),
  email_verified: Joi.boolean().required(),
}).meta({ className: 'AdminUser' });

export const forcedLogoutObject = Joi.object({
  revoked_sessions: Joi.number().integer().min(0).required().description('how many live sessions ended'),
});

export interface AdminServersQuery {
  limit: number;
  before?: string;
  after?: string;
}

export const adminServersQuery = Joi.object<AdminServersQuery>({
  ...pagination,
  before: snowflake().description('servers with a smaller id (older ones), newest first'),
  after: snowflake().description('servers with a larger id (newer ones), oldest first'),
});

/** A server as instance admins see it (GET /admin/servers). */
export const adminServerObject = Joi.object({
  id: Joi.string().required(),
  name: Joi.string().required(),
  owner_id: Joi.string().required(),
  member_count: Joi.number().integer().min(0).required(),
  channel_count: Joi.number().integer().min(0).required().description('channels and categories, not threads'),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'AdminServer' });

/** POST /admin/browser-session. */
export const browserSessionObject = Joi.object({
  expires_at: Joi.number().integer().required().description('unix seconds; the cookie stops working then'),
  bull_board: Joi.boolean()
    .required()
    .description('whether Bull Board is mounted (config `admin.bull_board`)'),
});

/** POST /admin/users: an account created by an admin (any registration mode). */
export interface CreateAdminUserBody {
  username: string;
  password: string;
  email?: string;
  admin: boolean;
}

export const createAdminUserBody = Joi.object<CreateAdminUserBody>({
  username: username().required(),
  password: password().required(),
  email: email(),
  admin: Joi.boolean().default(false).description('give the account the instance admin flag'),
});

/** POST /admin/users/{user_id}/password-reset. */
export const passwordResetBody = Joi.object<{ delivery: 'mail' | 'link' }>({
  delivery: Joi.string()
    .valid('mail', 'link')
    .required()
    .description('`mail`: send the user a reset mail; `link`: answer with a one-time link to hand over'),
});

export const passwordResetResult = Joi.object({
  delivery: Joi.string().valid('mail', 'link').required(),
  link: Joi.string().allow(null).required().description('the one-time reset link (`link` only; shown once)'),
  expires_at: Joi.number().integer().required().description('unix seconds: the link stops working then'),
});
