import Joi from 'joi';
import { AUTO_ARCHIVE_MINUTES, CHANNEL_TYPES } from '../../../shared/db/models/index.js';
import { parsePermissions } from '../../../shared/permissions/index.js';
import { snowflake, userObject } from '../common-schemas.js';

export const channelIdParams = Joi.object({ channel_id: snowflake().required() });
export const overwriteParams = Joi.object({
  channel_id: snowflake().required(),
  overwrite_id: snowflake().required().description('a role id (the server id for @everyone) or a user id'),
});

/** Longest slowmode: 6 hours, as Discord. */
export const MAX_SLOWMODE_SECONDS = 21600;

const channelName = () => Joi.string().trim().min(1).max(100);
const topic = () => Joi.string().max(1024).allow(null, '');
const slowmode = () =>
  Joi.number()
    .integer()
    .min(0)
    .max(MAX_SLOWMODE_SECONDS)
    .description('seconds a member must wait between messages (enforced on send)');
const position = () => Joi.number().integer().min(0).max(100000);

/** Voice and stage channels: most members connected at once (0: no limit; MOVE_MEMBERS ignores it). */
const userLimit = () => Joi.number().integer().min(0).max(99).description('voice and stage channels only');
/** Voice and stage channels: the bitrate clients should encode at. */
const bitrate = () =>
  Joi.number().integer().min(8000).max(384000).description('voice and stage channels only: bits per second');

export const createChannelBody = Joi.object({
  name: channelName().required(),
  channel_type: Joi.string().valid('text', 'voice', 'stage', 'category').required(),
  parent_id: snowflake().allow(null).description('a category of the same server; not for categories'),
  topic: topic(),
  nsfw: Joi.boolean(),
  slowmode_seconds: slowmode(),
  position: position().description('default: after every other channel'),
  user_limit: userLimit(),
  bitrate: bitrate(),
});

export const patchChannelBody = Joi.object({
  name: channelName(),
  topic: topic(),
  nsfw: Joi.boolean(),
  slowmode_seconds: slowmode(),
  parent_id: snowflake().allow(null),
  position: position(),
  user_limit: userLimit(),
  bitrate: bitrate(),
  archived: Joi.boolean().description('threads only (the only other field a thread takes is `name`)'),
  locked: Joi.boolean().description('threads only; needs MANAGE_THREADS'),
  auto_archive_minutes: Joi.number()
    .integer()
    .valid(...AUTO_ARCHIVE_MINUTES)
    .description('threads only: minutes without a message before the thread archives itself'),
}).min(1);

export const reorderChannelsBody = Joi.array()
  .items(
    Joi.object({
      id: snowflake().required(),
      position: position().required(),
      parent_id: snowflake().allow(null),
    }),
  )
  .min(1)
  .max(500)
  .unique('id');

/** A decimal-string permission bitfield of known bits. */
const bitfield = () =>
  Joi.string()
    .custom((value: string, helpers) => {
      try {
        parsePermissions(value);
      } catch (err) {
        return helpers.message({ custom: `{{#label}}: ${(err as Error).message}` });
      }
      return value;
    })
    .description('decimal-string permission bitfield');

export const putOverwriteBody = Joi.object({
  type: Joi.string().valid('role', 'member').required(),
  allow: bitfield().default('0'),
  deny: bitfield().default('0'),
});

/** A server channel. */
export const channelObject = Joi.object({
  id: Joi.string().required(),
  server_id: Joi.string().allow(null).required(),
  parent_id: Joi.string().allow(null).required(),
  name: Joi.string().allow('').required(),
  channel_type: Joi.string()
    .valid(...CHANNEL_TYPES)
    .required(),
  topic: Joi.string().allow(null).required(),
  position: Joi.number().integer().required(),
  nsfw: Joi.boolean().required(),
  slowmode_seconds: Joi.number().integer().required(),
  created_at: Joi.number().integer().required(),
  user_limit: Joi.number().integer().description('voice and stage channels only'),
  bitrate: Joi.number().integer().description('voice and stage channels only'),
  recipients: Joi.array().items(userObject).description('DM and notes channels only: the other people'),
  permission_overwrites: Joi.array()
    .items(
      Joi.object({
        id: Joi.string().required(),
        type: Joi.string().valid('role', 'member').required(),
        allow: Joi.string().required(),
        deny: Joi.string().required(),
      }).meta({ className: 'PermissionOverwrite' }),
    )
    .description('server channels other than threads, wherever they appear (routes and events)'),
}).meta({ className: 'Channel' });
