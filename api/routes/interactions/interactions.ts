import Joi from 'joi';
import { NotFoundError } from '../../../shared/errors.js';
import type { Runtime } from '../../../shared/runtime.js';
import {
  COMMAND_LIMITS,
  manageableApplication,
  overwriteCommands,
  type CommandInput,
} from '../../../shared/domain/interactions/commands.js';
import {
  commandActor,
  listApplicationCommands,
  listServerCommands,
  presentCommand,
} from '../../interactions/commands.js';
import { listInteractionDeliveries, type InteractionDeliveryQuery } from '../../interactions/deliveries.js';
import type { InvokeInput } from '../../../shared/domain/interactions/invoke.js';
import { invokeCommand } from '../../interactions/invoke.js';
import { editOriginal, postFollowup } from '../../../shared/domain/interactions/respond.js';
import { apiMessageRunner, apiMessageUpdater } from '../../interactions/respond.js';
import {
  acceptCallback,
  type CallbackInput,
  type ResponseInput,
} from '../../../shared/domain/interactions/answer.js';
import { interactionsSecret } from '../../../shared/domain/interactions/secret.js';
import { authenticateInteraction } from '../../../shared/domain/interactions/store.js';
import { OutcomeWaiter } from '../../interactions/waiter.js';
import type { ApiServices } from '../../services.js';
import { deliveriesQuery } from '../event-webhooks/schema.js';
import { messageObject } from '../messages/schema.js';
import { defineRoute, definePublicRoute, type AnyRoute } from '../route.js';
import {
  applicationParams,
  callbackBody,
  commandListBody,
  commandObject,
  commandScopeQuery,
  editOriginalBody,
  followupBody,
  interactionDeliveryObject,
  interactionResult,
  interactionTokenParams,
  interactionsSecretObject,
  invokeBody,
} from './schema.js';
import { serverIdParams } from '../servers/schema.js';

type AppParams = { app_id: string };
type ScopeQuery = { server_id?: string };
type TokenParams = { interaction_id: string; token: string };

const MANAGERS =
  'Callable by the application’s owner (user token) or by its own bot (`Authorization: Bot <token>`); ' +
  'anyone else gets 404 `unknown_application`.';

const pendingAnswer = Joi.object({
  id: Joi.string().required(),
  channel_id: Joi.string().required(),
  pending: Joi.boolean().valid(true).required(),
}).meta({ className: 'PendingAnswer' });

/** Slash commands: registration, the command list of a server, invocation and the application's answers. */
export function interactionRoutes(rt: Runtime, services: ApiServices): AnyRoute[] {
  const waiter = new OutcomeWaiter(rt);
  return [
    defineRoute<AppParams, ScopeQuery, CommandInput[]>({
      method: 'put',
      path: '/applications/{app_id}/commands',
      access: 'user',
      summary: 'Overwrite an application’s slash commands',
      description:
        `${MANAGERS} The body is a JSON array of up to ${COMMAND_LIMITS.commands} commands ` +
        '`{name, description, options?}` that replaces the global list (or, with `?server_id=`, that server’s ' +
        'list: the application’s bot must be a member, else 400 naming `server_id`). A name already registered ' +
        'keeps its id; names left out are deleted. `name`: 1-32 of `a-z 0-9 _ -`; `description`: 1-100 ' +
        `characters; up to ${COMMAND_LIMITS.options} options \`{type, name, description, required?, choices?, ` +
        'min_value?, max_value?, min_length?, max_length?}` with `type` one of string, integer, number, boolean, ' +
        `user, channel, role; \`choices\` (up to ${COMMAND_LIMITS.choices} \`{name, value}\`) only for string, ` +
        'integer and number; `min_value`/`max_value` only for integer and number; `min_length`/`max_length` ' +
        'only for string. Required options come before optional ones; names are unique. Every bad field is ' +
        'named by its path (`0.options.1.type`).',
      tags: ['Interactions'],
      params: applicationParams,
      query: commandScopeQuery,
      body: commandListBody,
      responses: {
        200: { description: 'The new list, in the order given', schema: Joi.array().items(commandObject) },
        400: { description: 'A bad command or option (named by path), or the bot is not in `server_id`' },
        404: { description: '`unknown_application` (also for applications the caller does not manage)' },
      },
      handler: async ({ params, query, body, auth }) =>
        (await overwriteCommands(rt, params.app_id, query.server_id ?? null, commandActor(auth), body)).map(
          presentCommand,
        ),
    }),
    defineRoute<AppParams, ScopeQuery>({
      method: 'get',
      path: '/applications/{app_id}/commands',
      access: 'user',
      summary: 'An application’s slash commands',
      description: `${MANAGERS} The global commands, or with \`?server_id=\` that server’s; by name.`,
      tags: ['Interactions'],
      params: applicationParams,
      query: commandScopeQuery,
      responses: {
        200: { description: 'The commands', schema: Joi.array().items(commandObject) },
        404: { description: '`unknown_application`' },
      },
      handler: ({ params, query, auth }) =>
        listApplicationCommands(rt, params.app_id, query.server_id ?? null, auth),
    }),
    defineRoute<AppParams>({
      method: 'get',
      path: '/applications/{app_id}/interactions-secret',
      access: 'user',
      summary: 'An application’s interactions signing secret',
      description:
        'Owner only (user token; anyone else: 404 `unknown_application`). The key of the HMAC in ' +
        '`X-Plexichat-Signature` on interactions POSTed to the application’s `interactions_url`; generated ' +
        'the first time it is needed and stored encrypted. Verify every request with it (see the Slash ' +
        'commands guide).',
      tags: ['Interactions'],
      params: applicationParams,
      responses: {
        200: { description: 'The secret', schema: interactionsSecretObject },
        404: { description: '`unknown_application`' },
      },
      handler: async ({ params, auth }) => {
        // Only the owner: a leaked bot token must not also leak the key that vouches for Plexichat.
        if (auth.kind === 'bot') throw new NotFoundError('application');
        const app = await manageableApplication(rt, params.app_id, commandActor(auth));
        return {
          application_id: app.id,
          interactions_secret: await interactionsSecret(rt, services.secretBox, app),
        };
      },
    }),
    defineRoute<AppParams, InteractionDeliveryQuery>({
      method: 'get',
      path: '/applications/{app_id}/deliveries',
      access: 'user',
      summary: 'An application’s interaction delivery log',
      description:
        'Owner only (user token; anyone else: 404 `unknown_application`). Every interaction POSTed to the ' +
        'application’s `interactions_url`, each with its status (`pending`: retrying; `succeeded`: a 2xx whose ' +
        'answer was taken; `failed`: refused without retry, or an answer that could not be taken; `dead`: out of ' +
        'attempts or past the interaction’s deadline) and every attempt: when, the response code, the error and ' +
        'the latency. 408, 429, 5xx and unreachable endpoints are retried with backoff (`interactions.max_attempts`, ' +
        '`interactions.retry_base_ms`) while the deadline leaves time. The body sent is shown without the ' +
        'interaction’s `token`. Newest first (oldest first with `after`); `status` filters. Kept for ' +
        '`webhooks.retention_days`.',
      tags: ['Interactions'],
      params: applicationParams,
      query: deliveriesQuery,
      responses: {
        200: { description: 'Deliveries', schema: Joi.array().items(interactionDeliveryObject) },
        404: { description: '`unknown_application`' },
      },
      handler: ({ params, query, auth }) => listInteractionDeliveries(rt, params.app_id, auth, query),
    }),
    defineRoute<{ server_id: string }>({
      method: 'get',
      path: '/servers/{server_id}/commands',
      access: 'user',
      summary: 'Slash commands usable in a server',
      description:
        'Members only (others: 404 `unknown_server`). The global and server commands of every application ' +
        'whose bot is a member; a server command hides the same application’s global command of the same ' +
        'name. Ordered by application, then name. Whether a member may use them in a channel is ' +
        'USE_APPLICATION_COMMANDS there.',
      tags: ['Interactions'],
      params: serverIdParams,
      responses: {
        200: { description: 'The commands', schema: Joi.array().items(commandObject) },
        404: { description: '`unknown_server`' },
      },
      handler: ({ params, auth }) => listServerCommands(rt, params.server_id, auth.user.id),
    }),
    defineRoute<Record<string, never>, Record<string, never>, InvokeInput>({
      method: 'post',
      path: '/interactions',
      access: 'user',
      summary: 'Invoke a slash command',
      description:
        'Users only (bots: 403 `bot_not_allowed`). Needs VIEW_CHANNEL (else 404 `unknown_channel`) and ' +
        'USE_APPLICATION_COMMANDS (403) in `channel_id`, a server text channel or thread (DMs: 400 naming ' +
        '`channel_id`). `command` is resolved among the applications whose bot is a member of the server, a ' +
        'server command before a global one; unknown: 404 `unknown_command`; the same name in several ' +
        'applications: 400 naming `application_id`. `options` are checked against the definition (unknown, ' +
        'missing required, wrong type, not a choice, out of range; a `user` must be a member, a `channel` a ' +
        'channel of the server the caller can see, a `role` a role of the server): 400 naming ' +
        '`options.<name>`. The request then waits for the application’s first answer, at most ' +
        '`interactions.deadline_ms` (3 s by default): 200 `{id, status, message?}` (`message` for a channel ' +
        'message, `ephemeral` for an answer only the caller sees, `deferred` while the bot is thinking), ' +
        '504 `interaction_timeout` when no answer came in time, 502 `interaction_failed` when the ' +
        'application’s endpoint refused it.',
      tags: ['Interactions'],
      body: invokeBody,
      responses: {
        200: { description: 'The application answered', schema: interactionResult },
        400: { description: 'Bad `channel_id`, `command`, `application_id` or `options.<name>`' },
        403: { description: '`missing_permission` (USE_APPLICATION_COMMANDS) or `bot_not_allowed`' },
        404: { description: '`unknown_channel` or `unknown_command`' },
        502: { description: '`interaction_failed`: the application’s interactions endpoint failed' },
        504: { description: '`interaction_timeout`: no answer within the deadline' },
      },
      handler: ({ body, auth }) => invokeCommand(rt, waiter, auth, body),
    }),
    definePublicRoute<TokenParams, Record<string, never>, CallbackInput>({
      method: 'post',
      path: '/interactions/{interaction_id}/{token}/callback',
      summary: 'Answer an interaction',
      description:
        'No user auth: the interaction’s token is the credential (unknown interaction, wrong token or a ' +
        'follow-up window that ended: 404 `unknown_interaction`). Once per interaction, before its ' +
        'deadline: `{type: "message", data: {content?, embeds?, ephemeral?}}` posts the answer (a message by ' +
        'the bot with `interaction` set, or with `ephemeral` one shown only to the invoking user and never ' +
        'stored); `{type: "deferred", data: {ephemeral?}}` tells the user the bot is thinking, the answer ' +
        'following within 15 minutes through `/followup` or `PATCH /original`. A second answer: 409 ' +
        '`interaction_already_acknowledged`; after the deadline: 410 `interaction_expired`.',
      tags: ['Interactions'],
      status: 204,
      params: interactionTokenParams,
      body: callbackBody,
      responses: {
        204: { description: 'Taken (for a message: stored or queued)' },
        400: { description: 'Bad `type` or `data.<field>`' },
        404: { description: '`unknown_interaction`' },
        409: { description: '`interaction_already_acknowledged`' },
        410: { description: '`interaction_expired`: the deadline passed (or delivery failed)' },
      },
      handler: async ({ params, body }) => {
        const record = await authenticateInteraction(rt, params.interaction_id, params.token);
        await acceptCallback(rt, apiMessageRunner(rt, services), record, body);
      },
    }),
    definePublicRoute<TokenParams, Record<string, never>, ResponseInput>({
      method: 'post',
      path: '/interactions/{interaction_id}/{token}/followup',
      summary: 'Send a follow-up message',
      description:
        'Token as credential (404 `unknown_interaction`). After the first answer (before it: 400 ' +
        '`interaction_not_acknowledged`; a failed interaction: 410 `interaction_expired`) and within 15 ' +
        'minutes of the invocation: `{content?, embeds?, ephemeral?}` posts another message by the bot. After ' +
        'a deferral, the first one becomes the original response.',
      tags: ['Interactions'],
      params: interactionTokenParams,
      body: followupBody,
      responses: {
        200: {
          description: 'The message (ephemeral ones carry `flags: ["ephemeral"]`)',
          schema: messageObject,
        },
        202: { description: 'Accepted, still being stored', schema: pendingAnswer },
        400: { description: 'Bad `content` or `embeds`, or `interaction_not_acknowledged`' },
        404: { description: '`unknown_interaction`' },
        410: { description: '`interaction_expired`' },
      },
      handler: async ({ params, body, res }) => {
        const record = await authenticateInteraction(rt, params.interaction_id, params.token);
        const message = await postFollowup(rt, apiMessageRunner(rt, services), record, body);
        if ('pending' in message) res.status(202);
        return message;
      },
    }),
    definePublicRoute<TokenParams, Record<string, never>, { content: string }>({
      method: 'patch',
      path: '/interactions/{interaction_id}/{token}/original',
      summary: 'Edit the original response',
      description:
        'Token as credential (404 `unknown_interaction`), within 15 minutes of the invocation. `{content}` ' +
        'replaces the original response’s content (embeds stay). After a deferral with nothing posted yet, ' +
        'this posts the answer (ephemeral if the deferral said so).',
      tags: ['Interactions'],
      params: interactionTokenParams,
      body: editOriginalBody,
      responses: {
        200: { description: 'The message', schema: messageObject },
        202: { description: 'Accepted, still being stored', schema: pendingAnswer },
        400: { description: 'Bad `content`, or `interaction_not_acknowledged`' },
        404: { description: '`unknown_interaction`, or `unknown_message` when the original was deleted' },
        410: { description: '`interaction_expired`' },
      },
      handler: async ({ params, body, res }) => {
        const record = await authenticateInteraction(rt, params.interaction_id, params.token);
        const runners = { create: apiMessageRunner(rt, services), update: apiMessageUpdater(rt, services) };
        const message = await editOriginal(rt, runners, record, body.content);
        if ('pending' in message) res.status(202);
        return message;
      },
    }),
  ];
}
