import Joi from 'joi';
import { EMBED_LIMITS, contentUnlessEmbeds, messageContent, richEmbed } from '../../messages/schema.js';

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
export const responseMessage = Joi.object({ ...messageKeys, content: contentUnlessEmbeds() }).meta({
  className: 'InteractionResponseMessage',
});

/** The first answer: a message, or a deferral (the answer comes later as a follow-up or an edit). */
export const callbackBody = Joi.object({
  type: Joi.alternatives()
    .try(
      Joi.string().valid('message', 'deferred'),
      // Discord's numbers, as bot libraries send them: 4 answers with a message, 5 defers.
      // (A range, not valid(4, 5): joi skips custom() for a value its allow-list matched.)
      Joi.number()
        .integer()
        .min(4)
        .max(5)
        .custom((type: 4 | 5) => (type === 4 ? 'message' : 'deferred')),
    )
    .required()
    .messages({ 'alternatives.match': '{{#label}} must be one of [message, deferred] (or 4, 5)' })
    .description('`message` (or 4) or `deferred` (or 5)'),
  data: Joi.when('type', {
    is: 'message',
    then: responseMessage.required(),
    otherwise: Joi.object({ ephemeral: Joi.boolean().default(false) }).default({ ephemeral: false }),
  }),
}).meta({ className: 'InteractionCallback' });
