import { Op, QueryTypes } from 'sequelize';
import type { CommandOption, Row } from '../../db/models/index.js';
import { NotFoundError, ValidationError, type FieldErrors } from '../../errors.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';

/** Limits of command definitions (Discord's, so existing bots fit). */
export const COMMAND_LIMITS = {
  /** Commands per application and scope (global, or one server). */
  commands: 100,
  options: 25,
  choices: 25,
  /** Longest string option value, and the largest min_length/max_length. */
  stringValue: 6000,
};

/** A command definition as registered (validated by commandListBody). */
export interface CommandInput {
  name: string;
  description: string;
  options: CommandOption[];
}

/** Who manages an application's commands: its owner (a user token) or its own bot (a Bot token). */
export interface CommandActor {
  userId: string;
  bot: boolean;
}

/**
 * The application when the caller may manage its commands: its owner (user token) or its own bot
 * (Bot token). Anyone else gets 404 `unknown_application`, as if it did not exist.
 */
export async function manageableApplication(
  rt: Pick<Runtime, 'models'>,
  appId: string,
  actor: CommandActor,
): Promise<Row<'Application'>> {
  const app = await rt.models.Application.findByPk(appId);
  const allowed =
    app !== null && (actor.bot ? actor.userId === app.bot_user_id : actor.userId === app.owner_id);
  if (!app || !allowed) throw new NotFoundError('application');
  return app;
}

/** Whether a user is a member of a server. */
async function isMember(rt: Pick<Runtime, 'models'>, serverId: string, userId: string): Promise<boolean> {
  return (await rt.models.Member.count({ where: { server_id: serverId, user_id: userId } })) > 0;
}

/**
 * The checks joi cannot express across fields: unique command names, unique option names,
 * required options before optional ones, min <= max. Paths are those of the body (`0.options.1.name`).
 */
export function checkCommandList(commands: CommandInput[]): void {
  const errors: FieldErrors = {};
  const names = new Set<string>();
  commands.forEach((command, i) => {
    if (names.has(command.name)) errors[`${i}.name`] = `"${command.name}" is registered twice in this list`;
    names.add(command.name);
    const optionNames = new Set<string>();
    let optionalSeen = false;
    command.options.forEach((option, j) => {
      const at = `${i}.options.${j}`;
      if (optionNames.has(option.name))
        errors[`${at}.name`] ??= `"${option.name}" is used twice in this command`;
      optionNames.add(option.name);
      if (option.required && optionalSeen) errors[`${at}.required`] ??= 'required options must come first';
      if (!option.required) optionalSeen = true;
      if (
        option.min_value !== undefined &&
        option.max_value !== undefined &&
        option.min_value > option.max_value
      ) {
        errors[`${at}.max_value`] ??= 'must not be less than min_value';
      }
      if (
        option.min_length !== undefined &&
        option.max_length !== undefined &&
        option.min_length > option.max_length
      ) {
        errors[`${at}.max_length`] ??= 'must not be less than min_length';
      }
    });
  });
  if (Object.keys(errors).length > 0) {
    throw new ValidationError(errors, `Invalid body: ${Object.keys(errors).join(', ')}`);
  }
}

/** Only the keys a definition uses, in a stable order (what is stored and shown). */
function normalizeOption(option: CommandOption): CommandOption {
  const out: CommandOption = {
    type: option.type,
    name: option.name,
    description: option.description,
    required: option.required,
  };
  for (const key of ['choices', 'min_value', 'max_value', 'min_length', 'max_length'] as const) {
    if (option[key] !== undefined) Object.assign(out, { [key]: option[key] });
  }
  return out;
}

/** Where an application's global (`serverId` null) or one server's commands are. */
export const scopeWhere = (appId: string, serverId: string | null) => ({
  application_id: appId,
  server_id: serverId ?? { [Op.is]: null },
});

/**
 * Replaces the global (or one server's) commands of an application with `commands`: a name that
 * was already registered keeps its id (and its created_at), new names get new ids, names left out
 * are deleted. Server commands need the application's bot in that server (400 naming server_id).
 * Returns the rows in the order given.
 */
export async function overwriteCommands(
  rt: Runtime,
  appId: string,
  serverId: string | null,
  actor: CommandActor,
  commands: CommandInput[],
): Promise<Row<'ApplicationCommand'>[]> {
  const app = await manageableApplication(rt, appId, actor);
  if (serverId !== null && !(await isMember(rt, serverId, app.bot_user_id))) {
    throw new ValidationError({ server_id: 'the application’s bot is not a member of this server' });
  }
  checkCommandList(commands);
  const { ApplicationCommand } = rt.models;
  return runCommand(rt, null, async (transaction) => {
    // Two overwrites of the same scope at once would race on the unique name index: take turns.
    await rt.sequelize.query('SELECT pg_advisory_xact_lock(hashtext($1))', {
      bind: [`application-commands:${app.id}:${serverId ?? 'global'}`],
      transaction,
    });
    const existing = await ApplicationCommand.findAll({ where: scopeWhere(app.id, serverId), transaction });
    const byName = new Map(existing.map((r) => [r.name, r]));
    const wanted = new Set(commands.map((c) => c.name));
    const gone = existing.filter((r) => !wanted.has(r.name)).map((r) => r.id);
    if (gone.length > 0) await ApplicationCommand.destroy({ where: { id: gone }, transaction });
    const out: Row<'ApplicationCommand'>[] = [];
    for (const command of commands) {
      const fields = { description: command.description, options: command.options.map(normalizeOption) };
      const row = byName.get(command.name);
      if (row) {
        out.push(await row.update(fields, { transaction }));
        continue;
      }
      const id = rt.snowflake.next();
      out.push(
        await ApplicationCommand.create(
          {
            id,
            application_id: app.id,
            server_id: serverId,
            name: command.name,
            ...fields,
            created_at: new Date(decodeSnowflake(id).timestampMs),
          },
          { transaction },
        ),
      );
    }
    return out;
  });
}

/** The applications whose bot is a member of a server (optionally only `appId`). */
export async function applicationsInServer(
  rt: Runtime,
  serverId: string,
  appId?: string,
): Promise<Row<'Application'>[]> {
  // A join rather than the member list: a server may have many members and few bots.
  return rt.sequelize.query(
    `SELECT a.* FROM applications a
       JOIN members m ON m.user_id = a.bot_user_id AND m.server_id = $1
      WHERE ($2::bigint IS NULL OR a.id = $2::bigint)
      ORDER BY a.id`,
    {
      bind: [serverId, appId ?? null],
      type: QueryTypes.SELECT,
      model: rt.models.Application,
      mapToModel: true,
    },
  );
}

/**
 * The commands usable in a server, as clients list them: the global and server commands of every
 * application whose bot is a member; a server command hides the same application's global command
 * of the same name. Ordered by application, then name. `name`/`appId` narrow the search.
 */
export async function effectiveServerCommands(
  rt: Runtime,
  serverId: string,
  filter: { name?: string; appId?: string } = {},
): Promise<Row<'ApplicationCommand'>[]> {
  const apps = await applicationsInServer(rt, serverId, filter.appId);
  if (apps.length === 0) return [];
  const rows = await rt.models.ApplicationCommand.findAll({
    where: {
      application_id: apps.map((a) => a.id),
      [Op.or]: [{ server_id: { [Op.is]: null } }, { server_id: serverId }],
      ...(filter.name ? { name: filter.name } : {}),
    },
  });
  const effective = new Map<string, Row<'ApplicationCommand'>>();
  for (const row of rows) {
    const key = `${row.application_id}:${row.name}`;
    const seen = effective.get(key);
    if (!seen || (seen.server_id === null && row.server_id !== null)) effective.set(key, row);
  }
  // Ids are snowflakes of equal magnitude only by luck: compare them as numbers.
  const byApp = (a: Row<'ApplicationCommand'>, b: Row<'ApplicationCommand'>): number => {
    const [x, y] = [BigInt(a.application_id), BigInt(b.application_id)];
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return [...effective.values()].sort((a, b) => byApp(a, b) || a.name.localeCompare(b.name));
}
