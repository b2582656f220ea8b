import { isThreadType, type CommandOption, type Row } from '../../db/models/index.js';
import { ValidationError, type FieldErrors } from '../../errors.js';
import { Permission, has, type ServerPolicy } from '../../permissions/index.js';
import type { InteractionOption, ResolvedObjects } from '../../presenters/interaction.js';
import { presentMember, presentRole } from '../../presenters/role.js';
import { presentThread } from '../../presenters/thread.js';
import { presentUser } from '../../presenters/user.js';
import type { Runtime } from '../../runtime.js';
import { isSnowflake } from '../../snowflake.js';
import { presentServerChannels } from '../channels/present.js';
import { COMMAND_LIMITS } from './commands.js';

/** An option as the invoking user sent it. */
export interface GivenOption {
  name: string;
  value: string | number | boolean;
}

/** Why a value does not fit its definition's type and bounds, or null when it fits. */
function valueProblem(def: CommandOption, value: GivenOption['value']): string | null {
  switch (def.type) {
    case 'string': {
      if (typeof value !== 'string') return 'must be a string';
      const max = def.max_length ?? COMMAND_LIMITS.stringValue;
      if (def.min_length !== undefined && value.length < def.min_length) {
        return `must be at least ${def.min_length} characters long`;
      }
      if (value.length > max) return `must be at most ${max} characters long`;
      break;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return `must be ${def.type === 'integer' ? 'an integer' : 'a number'}`;
      if (def.type === 'integer' && !Number.isSafeInteger(value)) return 'must be an integer';
      if (def.min_value !== undefined && value < def.min_value) return `must be at least ${def.min_value}`;
      if (def.max_value !== undefined && value > def.max_value) return `must be at most ${def.max_value}`;
      break;
    }
    case 'boolean':
      if (typeof value !== 'boolean') return 'must be true or false';
      break;
    case 'user':
    case 'channel':
    case 'role':
      if (typeof value !== 'string' || !isSnowflake(value))
        return `must be a ${def.type} id (a snowflake string)`;
      break;
  }
  if (def.choices && !def.choices.some((c) => c.value === value)) {
    return `must be one of the choices: ${def.choices.map((c) => JSON.stringify(c.value)).join(', ')}`;
  }
  return null;
}

/**
 * Checks the options a user gave against the command's definitions and resolves the objects that
 * user, channel and role options name: a user must be a member of the server, a channel one of the
 * server's that the invoker can see, a role one of the server's. Every problem is a 400 naming
 * `options.<name>`.
 */
export async function resolveOptions(
  rt: Runtime,
  definitions: CommandOption[],
  given: GivenOption[],
  policy: ServerPolicy,
): Promise<{ options: InteractionOption[]; resolved: ResolvedObjects }> {
  const errors: FieldErrors = {};
  const byName = new Map(definitions.map((d) => [d.name, d]));
  const seen = new Set<string>();
  const options: InteractionOption[] = [];
  for (const option of given) {
    const at = `options.${option.name}`;
    const def = byName.get(option.name);
    if (!def) {
      errors[at] ??= 'this command has no such option';
      continue;
    }
    if (seen.has(option.name)) {
      errors[at] ??= 'given more than once';
      continue;
    }
    seen.add(option.name);
    const problem = valueProblem(def, option.value);
    if (problem) errors[at] = problem;
    else options.push({ name: def.name, type: def.type, value: option.value });
  }
  for (const def of definitions) {
    if (def.required && !seen.has(def.name)) errors[`options.${def.name}`] ??= 'is required';
  }

  const serverId = policy.server.id;
  const ids = (type: string) => options.filter((o) => o.type === type).map((o) => String(o.value));
  const resolved: ResolvedObjects = { users: {}, members: {}, channels: {}, roles: {} };
  const userIds = ids('user');
  const channelIds = ids('channel');
  const roleIds = ids('role');
  const [members, channels, roles] = await Promise.all([
    userIds.length ? rt.models.Member.findAll({ where: { server_id: serverId, user_id: userIds } }) : [],
    channelIds.length ? rt.models.Channel.findAll({ where: { server_id: serverId, id: channelIds } }) : [],
    roleIds.length ? rt.models.Role.findAll({ where: { server_id: serverId, id: roleIds } }) : [],
  ]);
  const [users, memberRoles] = await Promise.all([
    members.length ? rt.models.User.findAll({ where: { id: members.map((m) => m.user_id) } }) : [],
    members.length
      ? rt.models.MemberRole.findAll({
          where: { server_id: serverId, user_id: members.map((m) => m.user_id) },
        })
      : [],
  ]);
  for (const member of members) {
    const user = users.find((u) => u.id === member.user_id);
    if (!user) continue;
    resolved.users[user.id] = presentUser(rt.config, user);
    const mine = memberRoles
      .filter((r) => r.user_id === user.id && r.role_id !== serverId)
      .map((r) => r.role_id);
    resolved.members[user.id] = presentMember(rt.config, member, user, mine);
  }
  // A channel the invoker cannot see is as unknown as one of another server. The others are
  // presented as GET /channels/{id} shows them (overwrites; a thread's thread_metadata).
  const visibleChannels: Row<'Channel'>[] = [];
  for (const channel of channels) {
    if (has(await policy.channelPermissions(channel), Permission.VIEW_CHANNEL)) visibleChannels.push(channel);
  }
  const threads = visibleChannels.filter((c) => isThreadType(c.channel_type));
  const [channelObjects, threadMetas] = await Promise.all([
    presentServerChannels(
      rt,
      visibleChannels.filter((c) => !isThreadType(c.channel_type)),
    ),
    threads.length
      ? rt.models.ThreadMetadata.findAll({ where: { channel_id: threads.map((t) => t.id) } })
      : [],
  ]);
  for (const object of channelObjects) resolved.channels[object.id] = object;
  for (const meta of threadMetas) {
    const thread = threads.find((t) => t.id === meta.channel_id);
    if (thread) resolved.channels[thread.id] = presentThread(thread, meta);
  }
  for (const role of roles) resolved.roles[role.id] = presentRole(role);

  for (const option of options) {
    const id = String(option.value);
    const at = `options.${option.name}`;
    if (option.type === 'user' && !resolved.users[id]) errors[at] ??= 'not a member of this server';
    if (option.type === 'channel' && !resolved.channels[id])
      errors[at] ??= 'not a channel of this server you can see';
    if (option.type === 'role' && !resolved.roles[id]) errors[at] ??= 'not a role of this server';
  }
  if (Object.keys(errors).length > 0) {
    throw new ValidationError(errors, `Invalid options: ${Object.keys(errors).join(', ')}`);
  }
  return { options, resolved };
}
