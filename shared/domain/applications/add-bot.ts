import { recordAudit } from '../../audit.js';
import { addMember, announceJoin, serverObject } from '../members/join.js';
import { ApiError, MissingPermissionError, NotFoundError, ValidationError } from '../../errors.js';
import { Permission, ServerPolicy, parsePermissions, permissionNames } from '../../permissions/index.js';
import { presentRole, type MemberObject, type RoleObject } from '../../presenters/role.js';
import type { ServerObject } from '../../presenters/types.js';
import type { Runtime } from '../../runtime.js';
import { memberObject } from '../members/present.js';
import { createManagedRole } from '../roles/managed.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';

/** Who adds which application's bot to which server, and what its managed role may do. */
export interface AddBotInput {
  applicationId: string;
  serverId: string;
  /** The person adding it: needs MANAGE_SERVER there (and to own the application unless it is public). */
  actorId: string;
  /**
   * Permissions of the bot's managed role, a bigint or a decimal-string bitfield; absent or 0: no
   * role. The actor may grant only permissions they have.
   */
  permissions?: bigint | string | null;
  /** Audit log reason (`X-Audit-Log-Reason`). */
  reason?: string | null;
}

/** What adding a bot did: `added` is false when it already was a member (nothing changed). */
export interface AddBotResult {
  added: boolean;
  server: ServerObject;
  member: MemberObject;
  /** The bot's managed role in the server, if it has one. */
  role: RoleObject | null;
}

function toPermissions(value: AddBotInput['permissions']): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'bigint') return value;
  try {
    return parsePermissions(value);
  } catch {
    throw new ValidationError({ permissions: 'must be a decimal-string bitfield of known permission bits' });
  }
}

/**
 * Adds an application's bot to a server, as POST /servers/{server_id}/bots and the OAuth2 `bot`
 * scope do: the actor needs MANAGE_SERVER (404 `unknown_server` when not a member); a non-public
 * bot only by its application's owner (403 `bot_not_public`); a banned bot is refused (403
 * `banned`). The bot joins like anyone joining through an invite (SERVER_CREATE to it,
 * SERVER_MEMBER_ADD, a `member_join` notice) and, with permissions, gets a managed role named after
 * its application. Idempotent: a bot already in the server is left as it is. Audited as `bot_add`.
 */
export async function addBotToServer(rt: Runtime, input: AddBotInput): Promise<AddBotResult> {
  const { Application, User, Role } = rt.models;
  const { serverId, actorId } = input;
  const app = await Application.findByPk(input.applicationId);
  if (!app) throw new NotFoundError('application');
  if (!app.public_bot && app.owner_id !== actorId) {
    throw new ApiError(403, 'bot_not_public', 'Only its owner may add this bot: it is not public');
  }
  const bot = await User.findByPk(app.bot_user_id);
  if (!bot || bot.disabled_at) throw new NotFoundError('application');
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_SERVER);
  const permissions = toPermissions(input.permissions);
  const missing = permissions & ~policy.permissions;
  if (missing !== 0n) throw new MissingPermissionError(permissionNames(missing).join(', '));

  const outcome = await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    const added = await addMember(
      rt,
      serverId,
      bot.id,
      transaction,
      fx,
      'This bot is banned from this server',
    );
    if (!added) return { added: false, created: null };
    const created =
      permissions === 0n
        ? null
        : await createManagedRole(
            rt,
            { serverId, botUserId: bot.id, name: app.name, permissions },
            transaction,
            fx,
          );
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'bot_add',
        targetType: 'member',
        targetId: bot.id,
        changes: [
          { key: 'application_id', new: app.id },
          ...(created ? [{ key: 'role_id', new: created.id }] : []),
          { key: 'permissions', new: String(permissions) },
        ],
        reason: input.reason ?? null,
      },
      transaction,
    );
    await announceJoin(rt, serverId, bot.id, transaction, fx);
    return { added: true, created };
  });

  const server = await serverObject(rt, serverId);
  const role =
    outcome.created ?? (await Role.findOne({ where: { server_id: serverId, managed_bot_id: bot.id } }));
  return {
    added: outcome.added,
    server,
    member: await memberObject(rt, serverId, bot.id),
    role: role ? presentRole(role) : null,
  };
}
