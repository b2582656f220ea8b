import Joi from 'joi';
import { EMBED_LIMITS, messageContent, richEmbed } from '../../messages/schema.js';

/**
 * An application's answers, validated alike whether they come through the callback route or in
 * the body of its interactions endpoint's response (checked by the worker that delivered it).
 */

const messageKeys = {
  content: messageContent(),
  embeds: Joi.array().max(EMBED_LIMITS.count).items(richEmbed),
  ephemeral: Joi.boolean().default(false).description('show it to the invoking user only; never stored'),
};

/** What an answer message may carry: content or embeds (or both). */
export const responseMessage = Joi.object(messageKeys)
  .or('content', 'embeds')
  .messages({ 'object.missing': 'content or embeds is required' })
  .meta({ className: 'InteractionResponseMessage' });

/** The first answer: a message, or a deferral (the answer comes later as a follow-up or an edit). */
export const callbackBody = Joi.object({
  type: Joi.string().valid('message', 'deferred').required(),
  data: Joi.when('type', {
    is: 'message',
    then: responseMessage.required(),
    otherwise: Joi.object({ ephemeral: Joi.boolean().default(false) }).default({ ephemeral: false }),
  }),
}).meta({ className: 'InteractionCallback' });
