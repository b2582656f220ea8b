import Joi from 'joi';
import { snowflake, userObject } from '../common-schemas.js';

export const channelParams = Joi.object({ channel_id: snowflake().required() });
export const inviteParams = Joi.object({
  // Any code that names no invite is an unknown one (404 `unknown_invite`), whatever its letters:
  // API.md answers unknown objects with 404. Codes we issue are 8-10 letters and digits.
  code: Joi.string().max(100).required(),
});

export interface CreateInviteBody {
  max_age: number;
  max_uses: number;
}

export const createInviteBody = Joi.object<CreateInviteBody>({
  max_age: Joi.number()
    .integer()
    .min(0)
    .max(604800)
    .default(86400)
    .description('seconds until it expires; 0 never expires'),
  max_uses: Joi.number().integer().min(0).max(100).default(0).description('0 is unlimited'),
});

const previewKeys = {
  code: Joi.string().required(),
  server: Joi.object({
    id: Joi.string().required(),
    name: Joi.string().required(),
    description: Joi.string().allow(null).required(),
    icon_url: Joi.string().allow(null).required(),
    member_count: Joi.number().integer().required(),
  }).required(),
  channel: Joi.object({
    id: Joi.string().required(),
    name: Joi.string().required(),
    channel_type: Joi.string().required(),
  }).required(),
  expires_at: Joi.number().integer().allow(null).required().description('unix seconds, or null'),
  max_uses: Joi.number().integer().required(),
  uses: Joi.number().integer().required(),
};

/** What anyone holding the code sees. */
export const invitePreviewObject = Joi.object(previewKeys).meta({ className: 'InvitePreview' });

/** The invite as its creator and the server's managers see it. */
export const inviteObject = Joi.object({
  ...previewKeys,
  inviter: userObject.allow(null).required(),
  max_age: Joi.number().integer().required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'Invite' });
