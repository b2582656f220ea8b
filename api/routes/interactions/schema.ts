import Joi from 'joi';
import { COMMAND_LIMITS } from '../../../shared/domain/interactions/commands.js';
import {
  COMMAND_OPTION_TYPES,
  DELIVERY_STATUSES,
  type CommandOptionType,
} from '../../../shared/db/models/index.js';
import { snowflake } from '../common-schemas.js';
import { callbackBody, responseMessage } from '../../../shared/domain/interactions/callback-schema.js';
import { messageContent } from '../../../shared/messages/schema.js';
import { messageObject } from '../messages/schema.js';

/** Command and option names: 1-32 lowercase letters, digits, `_` and `-`. */
export const COMMAND_NAME = /^[a-z0-9_-]{1,32}$/;

const name = () =>
  Joi.string().pattern(COMMAND_NAME).message('{{#label}} must be 1-32 lowercase letters, digits, "_" or "-"');

const description = () => Joi.string().trim().min(1).max(100);

const choice = (value: Joi.Schema) =>
  Joi.object({ name: Joi.string().trim().min(1).max(100).required(), value: value.required() });

const forOptionTypes = (types: string[], then: Joi.Schema) =>
  Joi.when('type', { is: Joi.valid(...types), then, otherwise: Joi.forbidden() });

/** Discord's option type numbers, as bot libraries send them, and the names they stand for here. */
const DISCORD_OPTION_TYPES: Record<number, CommandOptionType> = {
  3: 'string',
  4: 'integer',
  5: 'boolean',
  6: 'user',
  7: 'channel',
  8: 'role',
  10: 'number',
};

const optionType = () =>
  Joi.alternatives()
    .try(
      Joi.string().valid(...COMMAND_OPTION_TYPES),
      Joi.number()
        .integer()
        .custom((n: number, helpers) => DISCORD_OPTION_TYPES[n] ?? helpers.error('any.invalid')),
    )
    .messages({
      'alternatives.match': `{{#label}} must be one of [${COMMAND_OPTION_TYPES.join(', ')}] (or Discord's number for one)`,
    })
    .description(`one of ${COMMAND_OPTION_TYPES.join(', ')}; Discord's numbers (3-8, 10) are taken for them`);

export const commandOption = Joi.object({
  type: optionType().required(),
  name: name().required(),
  description: description().required(),
  required: Joi.boolean().default(false),
  choices: Joi.when('type', {
    switch: [
      {
        is: 'string',
        then: Joi.array()
          .min(1)
          .max(COMMAND_LIMITS.choices)
          .items(choice(Joi.string().min(1).max(100))),
      },
      {
        is: 'integer',
        then: Joi.array().min(1).max(COMMAND_LIMITS.choices).items(choice(Joi.number().integer())),
      },
      { is: 'number', then: Joi.array().min(1).max(COMMAND_LIMITS.choices).items(choice(Joi.number())) },
    ],
    otherwise: Joi.forbidden(),
  }).description('string, integer and number options: the only values accepted (up to 25)'),
  min_value: forOptionTypes(['integer', 'number'], Joi.number()).description('integer and number options'),
  max_value: forOptionTypes(['integer', 'number'], Joi.number()).description('integer and number options'),
  min_length: forOptionTypes(['string'], Joi.number().integer().min(0).max(COMMAND_LIMITS.stringValue)),
  max_length: forOptionTypes(['string'], Joi.number().integer().min(1).max(COMMAND_LIMITS.stringValue)),
}).meta({ className: 'CommandOption' });

export const commandInput = Joi.object({
  // Discord's command type: only slash commands (1, chat input) exist here; taken and dropped.
  type: Joi.number().valid(1).strip(),
  name: name().required(),
  description: description().required(),
  options: Joi.array().max(COMMAND_LIMITS.options).items(commandOption).default([]),
}).meta({ className: 'CommandInput' });

/**
 * The body of a bulk overwrite: a bare JSON array, as Discord's (bot libraries send that). The
 * route type wants an object schema; validation and OpenAPI both handle an array schema the same.
 */
export const commandListBody = Joi.array()
  .max(COMMAND_LIMITS.commands)
  .items(commandInput)
  .required() as unknown as Joi.ObjectSchema;

export const applicationParams = Joi.object({ app_id: snowflake().required() });
export const commandScopeQuery = Joi.object({
  server_id: snowflake().description('the server’s commands instead of the global ones'),
});

export const commandObject = Joi.object({
  id: Joi.string().required(),
  application_id: Joi.string().required(),
  server_id: Joi.string().allow(null).required().description('null: a global command'),
  name: Joi.string().required(),
  description: Joi.string().required(),
  options: Joi.array().items(commandOption).required(),
  created_at: Joi.number().integer().required(),
  updated_at: Joi.number().integer().allow(null).required(),
}).meta({ className: 'ApplicationCommand' });

// Invocation.

/** An option's value in an invocation. */
const optionValue = () =>
  Joi.alternatives()
    .try(Joi.string().max(COMMAND_LIMITS.stringValue), Joi.number(), Joi.boolean())
    .description('a string, number or boolean; user, channel and role options take the id as a string');

export const invokeBody = Joi.object({
  application_id: snowflake().description('which application’s command, when several have one of this name'),
  command: name().required().description('the command’s name'),
  options: Joi.alternatives()
    .try(
      Joi.array()
        .max(COMMAND_LIMITS.options)
        .items(Joi.object({ name: name().required(), value: optionValue().required() })),
      // A name -> value map is taken too (API.md leaves the shape open): the same list, by name.
      Joi.object()
        .pattern(name(), optionValue().required())
        .max(COMMAND_LIMITS.options)
        .custom((map: Record<string, string | number | boolean>) =>
          Object.entries(map).map(([key, value]) => ({ name: key, value })),
        ),
    )
    .default([])
    .description('`[{name, value}]`, or an object mapping each option’s name to its value'),
  channel_id: snowflake().required().description('a server text channel or thread'),
});

export const interactionResult = Joi.object({
  id: Joi.string().required().description('the interaction’s id'),
  status: Joi.string().valid('message', 'ephemeral', 'deferred').required(),
  message: messageObject.description(
    'message/ephemeral: the answer (absent while a stored answer is still queued)',
  ),
}).meta({ className: 'InteractionResult' });

// Callbacks: no user auth, the interaction's token is the credential.

export const interactionTokenParams = Joi.object({
  interaction_id: snowflake().required(),
  token: Joi.string()
    .pattern(/^[A-Za-z0-9_-]{1,200}$/)
    .required(),
});

export { callbackBody, responseMessage };

export const followupBody = responseMessage;

export const editOriginalBody = Joi.object({
  content: messageContent().required(),
});

export const interactionsSecretObject = Joi.object({
  application_id: Joi.string().required(),
  interactions_secret: Joi.string()
    .required()
    .description('the HMAC key of X-Plexichat-Signature on interactions POSTed to interactions_url'),
}).meta({ className: 'InteractionsSecret' });

// The delivery log of interactions POSTed to interactions_url.

const deliveryAttemptObject = Joi.object({
  attempt: Joi.number().integer().required().description('1 for the first'),
  started_at: Joi.number().integer().required(),
  finished_at: Joi.number().integer().required(),
  status_code: Joi.number().integer().allow(null).required().description('null: no answer'),
  error: Joi.string()
    .allow(null)
    .required()
    .description('why it did not count as delivered (or why its answer was refused); null: delivered'),
  latency_ms: Joi.number().integer().allow(null).required(),
}).meta({ className: 'InteractionDeliveryAttempt' });

export const interactionDeliveryObject = Joi.object({
  id: Joi.string().required(),
  application_id: Joi.string().required(),
  interaction_id: Joi.string().required().description('also X-Plexichat-Interaction-Id'),
  status: Joi.string()
    .valid(...DELIVERY_STATUSES)
    .required()
    .description(
      '`pending` (retrying), `succeeded` (2xx, its answer taken), `failed` (refused, or an answer that ' +
        'could not be taken), `dead` (out of attempts or out of time)',
    ),
  attempts: Joi.number().integer().required().description('attempts made'),
  attempt_log: Joi.array().items(deliveryAttemptObject).required().description('every attempt, oldest first'),
  last_status_code: Joi.number().integer().allow(null).required(),
  last_error: Joi.string().allow(null).required(),
  last_latency_ms: Joi.number().integer().allow(null).required(),
  next_attempt_at: Joi.number().integer().allow(null).required().description('when the next attempt is due'),
  deadline_at: Joi.number()
    .integer()
    .required()
    .description('the interaction’s deadline: no attempt after it'),
  created_at: Joi.number().integer().required(),
  completed_at: Joi.number().integer().allow(null).required(),
  payload: Joi.object().unknown().required().description('the body sent, without the interaction’s `token`'),
}).meta({ className: 'InteractionDelivery' });
