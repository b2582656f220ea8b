/**
 * `npm run cli -- <command>`: instance administration from a shell on a server (the first admin,
 * admin flags, the way back in after an IP rule locked everyone out). A composition root like
 * main.ts that imports only shared/: it talks to the same Postgres and Redis as the roles.
 */
import fs from 'node:fs';
import path from 'node:path';
import Joi from 'joi';
import { pino } from 'pino';
import { loadConfigOrExit } from './shared/boot.js';
import type { Config } from './shared/config/index.js';
import { postgresAnswers } from './shared/db/ensure-database.js';
import { deleteAccount } from './shared/accounts/delete-account.js';
import {
  operatorCreateAccount,
  operatorDisableMfa,
  operatorIssueResetLink,
  operatorSendResetMail,
  operatorSetAdmin,
  type Operator,
} from './shared/domain/accounts/operator-tools.js';
import { clearIpRules } from './shared/domain/ip-rules/ip-rules.js';
import { ApiError, ConflictError } from './shared/errors.js';
import { resolveLocalDatabase, type LocalDatabase } from './shared/local-services/postgres.js';
import { createRuntime, type Runtime } from './shared/runtime.js';

const HELP = `Usage: npm run cli -- <command>

  admin create <username> [--email <email>]
      Create an instance admin. The password is read from PLEXICHAT_ADMIN_PASSWORD or, when that
      is unset, from the first line of stdin (e.g. piped from a password manager); 8-128 characters.
  admin grant <username>      Give an existing user the instance admin flag.
  admin revoke <username>     Take the instance admin flag away.
  user delete <username>      Delete an account as DELETE /users/@me does: sessions end, personal
                              data is erased, messages stay under deleted_user_<id>. Refused while
                              it owns servers or applications (they are listed).
  user create <username> [--email <email>]
      Create an ordinary account (works whatever auth.registration says); the password is read as
      for admin create.
  user reset-password <username> [--link]
      Mail the user a password reset link (needs email.smtp_url and an email on the account); with
      --link, print a one-time link instead, to hand over yourself. Valid one hour, works once.
  user disable-2fa <username> Turn off the user's two-factor authentication (recorded).
  ip-rules list               Print the IP allow/deny rules, one per line.
  ip-rules clear              Delete every IP rule (the way back in after a lockout); running API
                              processes drop them within about a second.
  help                        This text.

Configuration is read as by the server (~/.plexichat/config/config.yaml, PLEXICHAT_CONFIG,
PLEXICHAT_* variables).
`;

/**
 * Taken out of the environment before the config loader runs: to it every PLEXICHAT_* variable is
 * a config key, and an unknown one is an error.
 */
const ADMIN_PASSWORD_VAR = 'PLEXICHAT_ADMIN_PASSWORD';
const adminPassword = process.env[ADMIN_PASSWORD_VAR];
delete process.env[ADMIN_PASSWORD_VAR];

/** A user-facing failure: printed as one line, exit status 1. */
class CliError extends Error {}

type Command = (rt: Runtime, args: string[]) => Promise<string[]>;

/** Same rules as the API's username (api/routes/common-schemas.ts). */
const usernameSchema = Joi.string()
  .min(2)
  .max(32)
  .pattern(/^[A-Za-z0-9_.-]+$/)
  .message('username may contain only letters, digits, "_", "." and "-"')
  .pattern(/^\.+$/, { invert: true })
  .message('username cannot be only dots')
  .label('username');
const emailSchema = Joi.string().email({ tlds: false }).max(254).label('email');

function check<T>(schema: Joi.Schema<T>, value: unknown): T {
  const result: Joi.ValidationResult<T> = schema.validate(value, { errors: { wrap: { label: false } } });
  if (result.error) throw new CliError(result.error.message);
  return result.value;
}

/**
 * Splits `--name value` options from positional arguments; only `allowed` names are accepted, and
 * those in `flags` take no value (present: "true").
 */
function parseArgs(
  args: string[],
  allowed: string[],
  flags: string[] = [],
): { positional: string[]; options: Map<string, string> } {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name = '', inline] = arg.slice(2).split(/=(.*)/s);
    if (flags.includes(name) && inline === undefined) {
      options.set(name, 'true');
      continue;
    }
    if (!allowed.includes(name)) throw new CliError(`unknown option --${name}`);
    const value = inline ?? args[++i];
    if (value === undefined) throw new CliError(`--${name} needs a value`);
    options.set(name, value);
  }
  return { positional, options };
}

function exactly(positional: string[], names: string[]): string[] {
  if (positional.length !== names.length) {
    throw new CliError(`expected ${names.map((n) => `<${n}>`).join(' ') || 'no arguments'}`);
  }
  return positional;
}

/** The new admin's password: PLEXICHAT_ADMIN_PASSWORD, else the first line of a non-TTY stdin. */
async function readPassword(): Promise<string> {
  let password = adminPassword;
  if (password === undefined) {
    if (process.stdin.isTTY) throw new CliError(`set ${ADMIN_PASSWORD_VAR} or pipe the password on stdin`);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  if (password.length < 8) throw new CliError('the password must be at least 8 characters');
  if (password.length > 128) throw new CliError('the password must be at most 128 characters');
  return password;
}

/** Usernames are unique regardless of case. */
const usernameIs = (rt: Runtime, username: string) =>
  rt.sequelize.where(rt.sequelize.fn('lower', rt.sequelize.col('username')), username.toLowerCase());

async function findUser(rt: Runtime, username: string) {
  const user = await rt.models.User.findOne({ where: usernameIs(rt, username) });
  if (!user) throw new CliError(`no user named "${username}"`);
  return user;
}

const setAdmin =
  (isAdmin: boolean): Command =>
  async (rt, args) => {
    const [username = ''] = exactly(parseArgs(args, []).positional, ['username']);
    const user = await findUser(rt, username);
    if (user.is_bot) throw new CliError(`"${user.username}" is a bot account`);
    const was = await operatorSetAdmin(rt, user.id, isAdmin);
    const who = `${user.username} (${user.id})`;
    if (was === isAdmin) return [`${who} ${isAdmin ? 'is already an admin' : 'was not an admin'}`];
    return [`${who} ${isAdmin ? 'is now an admin' : 'is no longer an admin'}`];
  };

/** `user delete <username>`: the account deletion of the API, run by the operator (account lifecycle). */
const deleteUserCommand: Command = async (rt, args) => {
  const [username = ''] = exactly(parseArgs(args, []).positional, ['username']);
  const user = await findUser(rt, username);
  if (user.deleted_at) throw new CliError(`"${username}" is already deleted`);
  try {
    await deleteAccount(rt, user.id, { kind: 'admin', adminId: null, ip: null });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const owned = (err.extra?.servers ?? err.extra?.applications) as
      { id: string; name: string }[] | undefined;
    const list = owned ? `: ${owned.map((o) => `${o.name} (${o.id})`).join(', ')}` : '';
    throw new CliError(`${err.message.replace(/:.*$/, '')}${list}`);
  }
  return [`deleted ${user.username} (${user.id}); its messages now show deleted_user_${user.id}`];
};

/** Who the CLI acts as in security events: a shell on the server. */
const CLI_OPERATOR: Operator = { adminId: null, via: 'cli', ip: null };

/** `user create`: an ordinary account, whatever auth.registration says. */
const createUserCommand: Command = async (rt, args) => {
  const { positional, options } = parseArgs(args, ['email']);
  const [rawName] = exactly(positional, ['username']);
  const username = check(usernameSchema, rawName);
  const email = options.has('email') ? check(emailSchema, options.get('email')) : null;
  if ((await rt.models.User.count({ where: usernameIs(rt, username) })) > 0) {
    throw new CliError(`a user named "${username}" already exists`);
  }
  const password = await readPassword();
  try {
    const user = await operatorCreateAccount(rt, { username, password, email }, CLI_OPERATOR);
    return [`created user ${user.username} (${user.id})`];
  } catch (err) {
    if (err instanceof ConflictError) throw new CliError(err.message);
    throw err;
  }
};

/** An ApiError of the shared account tools (no email, SMTP off...) as a one-line CLI failure. */
async function asCliError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ApiError) throw new CliError(err.message);
    throw err;
  }
}

/** `user reset-password`: a reset mail, or with --link the one-time link itself. */
const resetPasswordCommand: Command = async (rt, args) => {
  const { positional, options } = parseArgs(args, [], ['link']);
  const [username = ''] = exactly(positional, ['username']);
  const user = await findUser(rt, username);
  const who = `${user.username} (${user.id})`;
  if (options.has('link')) {
    const { link } = await asCliError(() => operatorIssueResetLink(rt, user, CLI_OPERATOR));
    return [link];
  }
  await asCliError(() => operatorSendResetMail(rt, user, CLI_OPERATOR));
  return [`queued a password reset mail to ${user.email ?? ''} for ${who}`];
};

/** `user disable-2fa`. */
const disable2faCommand: Command = async (rt, args) => {
  const [username = ''] = exactly(parseArgs(args, []).positional, ['username']);
  const user = await findUser(rt, username);
  await asCliError(() => operatorDisableMfa(rt, user, CLI_OPERATOR));
  return [`turned off two-factor authentication for ${user.username} (${user.id})`];
};

/** The commands that need the database; `help` is answered before connecting. */
const COMMANDS: Record<string, Record<string, Command>> = {
  admin: {
    create: async (rt, args) => {
      const { positional, options } = parseArgs(args, ['email']);
      const [rawName] = exactly(positional, ['username']);
      const username = check(usernameSchema, rawName);
      const email = options.has('email') ? check(emailSchema, options.get('email')) : null;
      const taken = await rt.models.User.count({ where: usernameIs(rt, username) });
      if (taken > 0) throw new CliError(`a user named "${username}" already exists (see: admin grant)`);
      const password = await readPassword();
      try {
        const user = await operatorCreateAccount(
          rt,
          { username, password, email, isAdmin: true },
          CLI_OPERATOR,
        );
        return [`created admin ${user.username} (${user.id})`];
      } catch (err) {
        if (err instanceof ConflictError) {
          throw new CliError(
            err.code === 'email_taken'
              ? `the email ${email} is already in use`
              : `a user named "${username}" already exists (see: admin grant)`,
          );
        }
        throw err;
      }
    },
    grant: setAdmin(true),
    revoke: setAdmin(false),
  },
  user: {
    create: createUserCommand,
    'reset-password': resetPasswordCommand,
    'disable-2fa': disable2faCommand,
    delete: deleteUserCommand,
  },
  'ip-rules': {
    list: async (rt, args) => {
      exactly(parseArgs(args, []).positional, []);
      const rules = await rt.models.IpRule.findAll({ order: [['id', 'ASC']] });
      if (rules.length === 0) return ['no ip rules (every address may connect)'];
      return rules.map((r) => [r.id, r.action, r.cidr, r.note ?? ''].join('\t').trimEnd());
    },
    clear: async (rt, args) => {
      exactly(parseArgs(args, []).positional, []);
      return [`deleted ${await clearIpRules(rt)} ip rules`];
    },
  },
};

/**
 * The database the CLI uses: the configured one; else what `npm start` uses: Postgres on
 * 127.0.0.1:5432, or the embedded one (already running under `npm start`, or started for the
 * duration of the command).
 */
async function resolveDatabase(config: Config, logger: Runtime['logger']): Promise<LocalDatabase> {
  if (!config.database.url && !(await postgresAnswers(`postgres://postgres@127.0.0.1:5432/postgres`))) {
    const secretFile = path.join(config.data_dir, 'postgres.secret');
    if (fs.existsSync(secretFile)) {
      const password = encodeURIComponent(fs.readFileSync(secretFile, 'utf8').trim());
      const url = `postgres://postgres:${password}@127.0.0.1:${config.database.embedded_port}/${config.database.name}`;
      if (await postgresAnswers(url)) return { url, source: 'embedded', stop: () => Promise.resolve() };
    }
  }
  return resolveLocalDatabase(config, logger);
}

async function run(argv: string[]): Promise<number> {
  const [group, action, ...args] = argv;
  if (group === undefined || ['help', '--help', '-h'].includes(group)) {
    process.stdout.write(HELP);
    return 0;
  }
  const commands = Object.hasOwn(COMMANDS, group) ? COMMANDS[group] : undefined;
  const command =
    commands && action !== undefined && Object.hasOwn(commands, action) ? commands[action] : null;
  if (!command) {
    const known = commands ? Object.keys(commands).join(', ') : null;
    throw new CliError(
      known
        ? `"${group}" needs one of: ${known}`
        : `unknown command "${argv.join(' ')}" (see: npm run cli -- help)`,
    );
  }

  const config = loadConfigOrExit();
  // Logs go to stderr: stdout carries only the results, one line each.
  const logger = pino({ level: config.log.level, base: { role: 'cli' } }, pino.destination(2));
  const database = await resolveDatabase(config, logger);
  let rt: Runtime;
  try {
    rt = await createRuntime({ ...config, database: { ...config.database, url: database.url } }, 'cli', {
      logger,
    });
  } catch (err) {
    await database.stop();
    throw new CliError(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    for (const line of await command(rt, args)) process.stdout.write(`${line}\n`);
    return 0;
  } finally {
    await rt.lifecycle.close();
    await database.stop();
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  const message =
    err instanceof CliError ? err.message : `failed: ${err instanceof Error ? err.message : String(err)}`;
  process.stderr.write(`plexichat: ${message}\n`);
  process.exitCode = 1;
}
