import { UniqueConstraintError } from 'sequelize';
import { uniqueConflict } from '../../accounts/create-user.js';
import type { Row } from '../../db/models/index.js';
import { ApiError, NotFoundError, ValidationError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { PRIVILEGED_INTENTS, intentsFromNames } from '../../intents.js';
import { SafeFetchError, vetOutboundUrl } from '../../net/safe-fetch.js';
import { presentApplication, type ApplicationObject } from '../../presenters/application.js';
import type { SelfUserObject } from '../../presenters/user.js';
import { presentSelf } from '../../presenters/user.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { issueSession, type ClientInfo } from '../../accounts/sessions.js';
import { memberRemoved } from '../members/remove.js';
import { runCommand } from '../../outbox/index.js';
import { redirectUriErrors, requireNoRedirectUriErrors } from '../oauth2/redirect-uris.js';
import { freeBotUsername } from './bot-username.js';

/** What POST /applications takes. */
export interface CreateApplicationInput {
  name: string;
  description?: string;
  /** OAuth2 redirect URIs (as PUT /applications/{id}/oauth2/redirect-uris takes them). */
  redirect_uris?: string[];
  /** Where the request came from: recorded on the bot's first session. */
  client?: ClientInfo;
}

/** A new application: the object, its bot user (as the bot sees itself) and its token, shown once. */
export interface CreatedApplication {
  application: ApplicationObject;
  bot: SelfUserObject;
  token: string;
}

/** What PATCH /applications/{app_id} takes; absent fields stay as they are. */
export interface UpdateApplicationInput {
  name?: string;
  description?: string;
  icon_url?: string | null;
  public_bot?: boolean;
  interactions_url?: string | null;
  /** The complete list of privileged intents to enable, by name. */
  intents?: string[];
  /** Replaces the OAuth2 redirect URIs (as PUT /applications/{id}/oauth2/redirect-uris does). */
  redirect_uris?: string[];
}

/** Where a token was issued when the caller did not say (a programmatic creation): unspecified. */
const NO_CLIENT: ClientInfo = { ip: '0.0.0.0', userAgent: null };

/**
 * Creates an application with its bot user (`is_bot`, no password or email, a unique username
 * derived from the name) and the bot's first token, all in one transaction. 400
 * `too_many_applications` past `applications.max_per_user`.
 */
export async function createApplication(
  rt: Runtime,
  ownerId: string,
  input: CreateApplicationInput,
): Promise<CreatedApplication> {
  const { Application, User } = rt.models;
  const limit = rt.config.applications.max_per_user;
  requireNoRedirectUriErrors(redirectUriErrors(input.redirect_uris ?? []));
  // A concurrent request may take the username picked here; the unique index refuses it, so retry.
  for (let attempt = 0; ; attempt++) {
    try {
      return await rt.sequelize.transaction(async (transaction) => {
        // The owner's row serializes their creations, so the limit holds under concurrency.
        const owner = await User.findByPk(ownerId, { transaction, lock: transaction.LOCK.UPDATE });
        if (!owner) throw new NotFoundError('user');
        if ((await Application.count({ where: { owner_id: ownerId }, transaction })) >= limit) {
          throw new ApiError(400, 'too_many_applications', `A user may own at most ${limit} applications`);
        }
        const botId = rt.snowflake.next();
        const bot = await User.create(
          {
            id: botId,
            username: await freeBotUsername(rt, input.name, transaction),
            is_bot: true,
            created_at: new Date(decodeSnowflake(botId).timestampMs),
          },
          { transaction },
        );
        const appId = rt.snowflake.next();
        const app = await Application.create(
          {
            id: appId,
            owner_id: ownerId,
            bot_user_id: botId,
            name: input.name,
            description: input.description ?? '',
            redirect_uris: input.redirect_uris ?? [],
            created_at: new Date(decodeSnowflake(appId).timestampMs),
          },
          { transaction },
        );
        const { token } = await issueSession(rt, bot, input.client ?? NO_CLIENT, 'bot', transaction);
        return {
          application: presentApplication(rt.config, app, bot),
          bot: presentSelf(rt.config, bot),
          token,
        };
      });
    } catch (err) {
      if (!(err instanceof UniqueConstraintError) || attempt >= 2) throw uniqueConflict(err) ?? err;
    }
  }
}

/** The caller's applications, oldest first. */
export async function listApplications(rt: Runtime, ownerId: string): Promise<ApplicationObject[]> {
  const apps = await rt.models.Application.findAll({
    where: { owner_id: ownerId },
    order: [['id', 'ASC']],
  });
  const bots = await rt.models.User.findAll({ where: { id: apps.map((a) => a.bot_user_id) } });
  const byId = new Map(bots.map((b) => [b.id, b]));
  return apps.flatMap((a) => {
    const bot = byId.get(a.bot_user_id);
    return bot ? [presentApplication(rt.config, a, bot)] : [];
  });
}

/** An application of `ownerId` with its bot user; 404 `unknown_application` for anyone else's. */
export async function ownedApplication(
  rt: Runtime,
  ownerId: string,
  appId: string,
): Promise<{ app: Row<'Application'>; bot: Row<'User'> }> {
  const app = await rt.models.Application.findByPk(appId);
  if (!app || app.owner_id !== ownerId) throw new NotFoundError('application');
  const bot = await rt.models.User.findByPk(app.bot_user_id);
  if (!bot) throw new NotFoundError('application');
  return { app, bot };
}

/** 400 naming `interactions_url` unless it is a URL Plexichat may POST to (safe-fetch's checks). */
async function vetInteractionsUrl(rt: Runtime, url: string): Promise<void> {
  try {
    await vetOutboundUrl(url, rt.config.outbound);
  } catch (err) {
    if (err instanceof SafeFetchError) throw new ValidationError({ interactions_url: err.message });
    throw err;
  }
}

/**
 * Updates an application. Turning a privileged intent off closes the bot's gateway connections,
 * so none keeps receiving what it no longer may (they reconnect and are checked again).
 */
export async function updateApplication(
  rt: Runtime,
  ownerId: string,
  appId: string,
  input: UpdateApplicationInput,
): Promise<ApplicationObject> {
  const { app, bot } = await ownedApplication(rt, ownerId, appId);
  requireNoRedirectUriErrors(redirectUriErrors(input.redirect_uris ?? []));
  if (input.interactions_url) await vetInteractionsUrl(rt, input.interactions_url);
  const before = Number(app.intents) & PRIVILEGED_INTENTS;
  if (input.name !== undefined) app.name = input.name;
  if (input.description !== undefined) app.description = input.description;
  if (input.icon_url !== undefined) app.icon_url = input.icon_url;
  if (input.public_bot !== undefined) app.public_bot = input.public_bot;
  if (input.interactions_url !== undefined) app.interactions_url = input.interactions_url;
  if (input.redirect_uris !== undefined) app.redirect_uris = input.redirect_uris;
  const after = input.intents === undefined ? before : intentsFromNames(input.intents) & PRIVILEGED_INTENTS;
  app.intents = String(after);
  await runCommand(rt, rooms.user(bot.id), async (transaction, fx) => {
    await app.save({ transaction });
    // A privileged intent taken away: the bot's connections reconnect without it.
    if ((before & ~after) !== 0) fx.disconnect(rooms.user(bot.id));
  });
  return presentApplication(rt.config, app, bot);
}

/**
 * Deletes an application and its bot user. The bot leaves every server (SERVER_MEMBER_REMOVE, its
 * managed roles go) and its connections close. Its messages stay, so the user row stays too
 * (messages keep their author): disabled, renamed `deleted_bot_<id>`, with no avatar and no
 * sessions, it can never sign in again.
 */
export async function deleteApplication(rt: Runtime, ownerId: string, appId: string): Promise<void> {
  const { app, bot } = await ownedApplication(rt, ownerId, appId);
  const { Member, ThreadMember, Session } = rt.models;
  await runCommand(rt, rooms.user(bot.id), async (transaction, fx) => {
    const servers = await Member.findAll({
      where: { user_id: bot.id },
      attributes: ['server_id'],
      transaction,
    });
    await app.destroy({ transaction });
    await Member.destroy({ where: { user_id: bot.id }, transaction });
    await ThreadMember.destroy({ where: { user_id: bot.id }, transaction });
    await Session.update(
      { revoked_at: new Date() },
      { where: { user_id: bot.id, revoked_at: null }, transaction },
    );
    await bot.update(
      { disabled_at: new Date(), username: `deleted_bot_${bot.id}`, avatar_url: null },
      { transaction },
    );
    fx.disconnect(rooms.user(bot.id));
    fx.invalidate({ accounts: [bot.id] });
    for (const { server_id: serverId } of servers) await memberRemoved(rt, serverId, bot, transaction, fx);
  });
}
