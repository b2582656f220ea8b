import Joi from 'joi';

/**
 * The message shapes that more than the API validates: the interactions worker checks an
 * application's answer with the same rules as the callback route (api/routes/ re-exports these).
 */

/** The longest message content accepted (characters). */
export const MAX_CONTENT_LENGTH = 4000;

/** Message content: at most MAX_CONTENT_LENGTH characters, not only whitespace. */
export const messageContent = () =>
  Joi.string()
    .max(MAX_CONTENT_LENGTH)
    .pattern(/\S/)
    .message('{{#label}} must contain a non-whitespace character');

/**
 * `content` beside `embeds`: required, and named, unless at least one embed comes along (an empty
 * `embeds` list is no embed, so it does not make an empty message acceptable).
 */
export const contentUnlessEmbeds = () =>
  Joi.when('embeds', {
    is: Joi.array().min(1).required(),
    then: messageContent(),
    otherwise: messageContent().required().messages({ 'any.required': 'content or embeds is required' }),
  });

/** An absolute http(s) URL of at most 2048 characters. */
export const httpUrl = () =>
  Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .max(2048);

/** Limits of rich embeds (Discord's, so existing senders fit). */
export const EMBED_LIMITS = {
  count: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
};

/** A rich embed as senders give it (webhooks, interaction answers, members and bots). */
export interface RichEmbedInput {
  title?: string;
  description?: string;
  url?: string;
  color?: number;
  fields?: { name: string; value: string; inline: boolean }[];
}

/** One rich embed: the single schema for webhooks, interaction answers and ordinary messages. */
export const richEmbed = Joi.object({
  title: Joi.string().max(EMBED_LIMITS.title),
  description: Joi.string().max(EMBED_LIMITS.description),
  url: httpUrl(),
  color: Joi.number().integer().min(0).max(0xffffff),
  fields: Joi.array()
    .max(EMBED_LIMITS.fields)
    .items(
      Joi.object({
        name: Joi.string().min(1).max(EMBED_LIMITS.fieldName).required(),
        value: Joi.string().min(1).max(EMBED_LIMITS.fieldValue).required(),
        inline: Joi.boolean().default(false),
      }),
    ),
})
  .or('title', 'description', 'fields')
  .meta({ className: 'RichEmbedInput' });
