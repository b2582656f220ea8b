import Joi from 'joi';
import { snowflake } from '../common-schemas.js';

export const emojiName = () =>
  Joi.string()
    .pattern(/^[A-Za-z0-9_]{2,32}$/)
    .message('{{#label}} must be 2-32 letters, digits or _');

export const emojiParams = Joi.object({
  server_id: snowflake().required(),
  emoji_id: snowflake().required(),
});

export const patchEmojiBody = Joi.object({ name: emojiName().required() });

/** The multipart form of POST /servers/{server_id}/emojis. */
export const emojiForm = Joi.object({
  name: emojiName().required(),
  image: Joi.binary()
    .required()
    .description('PNG, JPEG, WebP or GIF; at most 256 KiB and 1024x1024 per frame'),
});

/** The JSON form of POST /servers/{server_id}/emojis (Discord's): the image as a data URI. */
export const createEmojiJsonBody = Joi.object({
  name: emojiName().required(),
  image: Joi.string()
    .required()
    .max(1024 * 1024)
    .description('`data:image/<type>;base64,<data>`; the same limits as the file'),
});

/** A custom emoji. */
export const emojiObject = Joi.object({
  id: Joi.string().required(),
  server_id: Joi.string().required(),
  name: Joi.string().required(),
  animated: Joi.boolean().required(),
  url: Joi.string().required().description('128x128 WebP (animated for animated emoji)'),
  fallback_url: Joi.string().required().description('128x128 PNG, or an animated GIF for animated emoji'),
  creator_id: Joi.string().allow(null).required(),
  created_at: Joi.number().integer().required().description('unix seconds'),
}).meta({ className: 'Emoji' });
