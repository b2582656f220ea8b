import Joi from 'joi';
import type { Request } from 'express';
import { NotFoundError } from '../../../shared/errors.js';
import { presentApplication } from '../../../shared/presenters/application.js';
import type { Runtime } from '../../../shared/runtime.js';
import type { ClientInfo } from '../../../shared/accounts/sessions.js';
import { addBotToServer } from '../../../shared/domain/applications/add-bot.js';
import {
  createApplication,
  deleteApplication,
  listApplications,
  ownedApplication,
  updateApplication,
} from '../../../shared/domain/applications/applications.js';
import { regenerateBotToken } from '../../../shared/domain/applications/bot-token.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  addBotBody,
  addedBotObject,
  applicationObject,
  applicationParams,
  botTokenObject,
  createApplicationBody,
  createdApplicationObject,
  updateApplicationBody,
  type AddBotBody,
  type CreateApplicationBody,
  type UpdateApplicationBody,
} from './schema.js';
import { serverIdParams } from '../servers/schema.js';

type AppParams = { app_id: string };

const UNKNOWN = { description: '`unknown_application`: unknown, or not the caller’s' };

function clientInfo(req: Request, ip: string): ClientInfo {
  return { ip, userAgent: req.headers['user-agent'] ?? null };
}

/**
 * Bot applications: create (bot user + token), list, read, update, delete, regenerate the bot's
 * token; GET /applications/@me for a bot; POST /servers/{server_id}/bots adds a bot to a server.
 */
export function applicationRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<Record<string, never>, Record<string, never>, CreateApplicationBody>({
      method: 'post',
      path: '/applications',
      access: 'user',
      userOnly: true,
      summary: 'Create a bot application',
      description:
        'Creates the application and its bot user (`bot: true`, no password or email, a unique username derived ' +
        'from `name`) and answers with the bot’s token, shown only here (regenerate it if lost). At most ' +
        '`applications.max_per_user` per user (400 `too_many_applications`). `redirect_uris` registers the OAuth2 ' +
        'redirect URIs at once (as PUT /applications/{app_id}/oauth2/redirect-uris; a bad one: 400 naming ' +
        '`redirect_uris.N`).',
      tags: ['Applications'],
      status: 201,
      body: createApplicationBody,
      responses: {
        201: {
          description: 'The application, its bot user and the bot token',
          schema: createdApplicationObject,
        },
        400: { description: '`too_many_applications`, or a bad field (named)' },
      },
      handler: ({ body, auth, req, ip }) =>
        createApplication(rt, auth.user.id, { ...body, client: clientInfo(req, ip) }),
    }),
    defineRoute({
      method: 'get',
      path: '/applications',
      access: 'user',
      userOnly: true,
      summary: 'The caller’s applications, oldest first',
      tags: ['Applications'],
      responses: {
        200: { description: 'Applications (no tokens)', schema: Joi.array().items(applicationObject) },
      },
      handler: ({ auth }) => listApplications(rt, auth.user.id),
    }),
    defineRoute({
      method: 'get',
      path: '/applications/@me',
      access: 'user',
      summary: 'The calling bot’s own application (Bot token)',
      description: 'For a user token there is no such application: 404 `unknown_application`.',
      tags: ['Applications'],
      responses: { 200: { description: 'The application', schema: applicationObject }, 404: UNKNOWN },
      handler: async ({ auth }) => {
        const app =
          auth.kind === 'bot'
            ? await rt.models.Application.findOne({ where: { bot_user_id: auth.user.id } })
            : null;
        if (!app) throw new NotFoundError('application');
        return presentApplication(rt.config, app, auth.user);
      },
    }),
    defineRoute<AppParams>({
      method: 'get',
      path: '/applications/{app_id}',
      access: 'user',
      userOnly: true,
      summary: 'One of the caller’s applications',
      tags: ['Applications'],
      params: applicationParams,
      responses: { 200: { description: 'The application', schema: applicationObject }, 404: UNKNOWN },
      handler: async ({ params, auth }) => {
        const { app, bot } = await ownedApplication(rt, auth.user.id, params.app_id);
        return presentApplication(rt.config, app, bot);
      },
    }),
    defineRoute<AppParams, Record<string, never>, UpdateApplicationBody>({
      method: 'patch',
      path: '/applications/{app_id}',
      access: 'user',
      userOnly: true,
      summary: 'Update an application (its owner)',
      description:
        '`intents` is the complete list of privileged gateway intents the bot may ask for (`SERVER_MEMBERS`, ' +
        '`SERVER_PRESENCES`, `MESSAGE_CONTENT`); turning one off closes the bot’s gateway connections. ' +
        '`interactions_url` must be http(s) and resolve to public addresses (400 naming it otherwise); null ' +
        'delivers interactions over the gateway. `redirect_uris` replaces the OAuth2 redirect URIs (as PUT ' +
        '/applications/{app_id}/oauth2/redirect-uris; a bad one: 400 naming `redirect_uris.N`, nothing changed).',
      tags: ['Applications'],
      params: applicationParams,
      body: updateApplicationBody,
      responses: {
        200: { description: 'The updated application', schema: applicationObject },
        400: {
          description: 'A bad field (named), e.g. an `interactions_url` that resolves to a private address',
        },
        404: UNKNOWN,
      },
      handler: ({ params, body, auth }) => updateApplication(rt, auth.user.id, params.app_id, body),
    }),
    defineRoute<AppParams>({
      method: 'delete',
      path: '/applications/{app_id}',
      access: 'user',
      userOnly: true,
      summary: 'Delete an application and its bot user (its owner)',
      description:
        'The bot leaves every server (SERVER_MEMBER_REMOVE; its managed roles go) and its connections close. ' +
        'Its messages stay, under a disabled user renamed `deleted_bot_<id>`.',
      tags: ['Applications'],
      status: 204,
      params: applicationParams,
      responses: { 204: { description: 'Deleted' }, 404: UNKNOWN },
      handler: ({ params, auth }) => deleteApplication(rt, auth.user.id, params.app_id),
    }),
    defineRoute<AppParams>({
      method: 'post',
      path: '/applications/{app_id}/bot/token',
      access: 'user',
      userOnly: true,
      summary: 'Regenerate the bot’s token (its owner)',
      description:
        'Every earlier token of the bot stops working at once: REST answers 401 and its gateway connections close.',
      tags: ['Applications'],
      params: applicationParams,
      responses: {
        200: { description: 'The new token, shown only here', schema: botTokenObject },
        404: UNKNOWN,
      },
      handler: ({ params, auth, req, ip }) =>
        regenerateBotToken(rt, auth.user.id, params.app_id, clientInfo(req, ip)),
    }),
    defineRoute<{ server_id: string }, Record<string, never>, AddBotBody>({
      method: 'post',
      path: '/servers/{server_id}/bots',
      access: 'user',
      userOnly: true,
      summary: 'Add a bot to the server (MANAGE_SERVER)',
      description:
        'The bot joins like a member joining through an invite (SERVER_CREATE to it, SERVER_MEMBER_ADD, a ' +
        '`member_join` notice). With `permissions` (not "0") it also gets a managed role named after its ' +
        'application with those permissions; the caller may grant only permissions they have. A bot that is not ' +
        'public can be added only by its application’s owner. 201 when added; 200 (nothing changed) when the bot ' +
        'already is a member. Audited as `bot_add`.',
      tags: ['Applications'],
      params: serverIdParams,
      body: addBotBody,
      responses: {
        201: { description: 'The bot’s member object and managed role', schema: addedBotObject },
        200: { description: 'Already a member: its member object and managed role', schema: addedBotObject },
        403: {
          description:
            'Missing MANAGE_SERVER, granting a permission the caller lacks (named), `bot_not_public`, or `banned`',
        },
        404: { description: 'Unknown server (or the caller is not a member), or `unknown_application`' },
      },
      handler: async ({ params, body, auth, req, res }) => {
        const result = await addBotToServer(rt, {
          applicationId: body.application_id,
          serverId: params.server_id,
          actorId: auth.user.id,
          permissions: body.permissions ?? null,
          reason: auditReason(req),
        });
        if (result.added) res.status(201);
        return { member: result.member, role: result.role };
      },
    }),
  ];
}
