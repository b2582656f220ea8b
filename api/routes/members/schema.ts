import Joi from 'joi';
import { pagination, snowflake, userObject } from '../common-schemas.js';

/** A member's user id, or `@me` for the caller. */
const memberId = () =>
  Joi.alternatives()
    .try(Joi.string().valid('@me'), snowflake())
    .match('one')
    .messages({ 'alternatives.match': '{{#label}} must be a snowflake ID or @me' });

export const memberParams = Joi.object({ server_id: snowflake().required(), user_id: memberId().required() });
export const banParams = Joi.object({ server_id: snowflake().required(), user_id: snowflake().required() });

export interface ListQuery {
  limit: number;
  after?: string;
}

export const listMembersQuery = Joi.object<ListQuery>({
  limit: pagination.limit,
  after: pagination.after.description('only members with a larger user id'),
});

/** Longest timeout: 28 days. */

export interface UpdateMemberBody {
  nick?: string | null;
  roles?: string[];
  communication_disabled_until?: number | Date | null;
  timeout_until?: number | Date | null;
  timeout?: number | null;
}

/** When a timeout ends: unix seconds, or an ISO 8601 date (Discord's form); null ends it now. */
const timeoutEnd = () =>
  Joi.alternatives()
    .try(Joi.number().integer().min(0), Joi.date().iso(), Joi.valid(null))
    .messages({ 'alternatives.match': '{{#label}} must be unix seconds or an ISO 8601 date' });

/**
 * The timeout a PATCH asks for, as unix seconds (null: end it; undefined: unchanged), whichever of
 * its spellings was sent (the schema lets through one at most).
 */
export function requestedTimeout(body: UpdateMemberBody): number | null | undefined {
  if (body.timeout !== undefined) {
    return body.timeout === null ? null : Math.floor(Date.now() / 1000) + body.timeout;
  }
  const until =
    body.communication_disabled_until !== undefined ? body.communication_disabled_until : body.timeout_until;
  return until instanceof Date ? Math.floor(until.getTime() / 1000) : until;
}

export const updateMemberBody = Joi.object<UpdateMemberBody>({
  nick: Joi.string()
    .trim()
    .max(32)
    .allow(null, '')
    .description('null or "" clears it; own nick needs CHANGE_NICKNAME, others’ MANAGE_NICKNAMES'),
  roles: Joi.array()
    .items(snowflake())
    .max(250)
    .unique()
    .description('the complete list of role ids (MANAGE_ROLES); @everyone is implied'),
  communication_disabled_until: timeoutEnd().description(
    'unix seconds (or an ISO 8601 date), at most 28 days ahead; null ends the timeout (MODERATE_MEMBERS)',
  ),
  timeout_until: timeoutEnd().description('the same as `communication_disabled_until`'),
  timeout: Joi.number()
    .integer()
    .min(1)
    .max(28 * 24 * 3600)
    .allow(null)
    .description('the timeout as seconds from now (at most 28 days); null ends it'),
})
  .min(1)
  .oxor('communication_disabled_until', 'timeout_until', 'timeout');

export interface BanBody {
  reason?: string | null;
  delete_message_seconds?: number;
  delete_message_days?: number;
}

export const banBody = Joi.object<BanBody>({
  reason: Joi.string().max(512).allow(null, ''),
  delete_message_seconds: Joi.number()
    .integer()
    .min(0)
    .max(604800)
    .description(
      'delete the user’s messages in this server from the last N seconds (up to 7 days; default 0)',
    ),
  delete_message_days: Joi.number()
    .integer()
    .min(0)
    .max(7)
    .description(
      'the same in whole days (0-7), the older form bots still send; not with `delete_message_seconds`',
    ),
}).oxor('delete_message_seconds', 'delete_message_days');

export const banObject = Joi.object({
  user: userObject.required(),
  reason: Joi.string().allow(null).required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'Ban' });
