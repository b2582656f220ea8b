import { recordAudit, diff } from '../../shared/audit.js';
import { invalidate } from '../../shared/domain/invalidation.js';
import type { Row } from '../../shared/db/models/index.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { DEFAULT_EVERYONE_PERMISSIONS, Permission, ServerPolicy } from '../../shared/permissions/index.js';
import { permissionsChanged } from '../../shared/permission-changes.js';
import { presentServer } from '../../shared/presenters/server.js';
import type { ServerObject } from '../../shared/presenters/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { OwnerOnlyError } from './access.js';

const createdAt = (id: string): Date => new Date(decodeSnowflake(id).timestampMs);

async function memberCount(rt: Pick<Runtime, 'models'>, serverId: string): Promise<number> {
  return rt.models.Member.count({ where: { server_id: serverId } });
}

/** The server object as its members see it. */
export async function serverObject(
  rt: Pick<Runtime, 'models'>,
  server: Row<'Server'>,
): Promise<ServerObject> {
  return presentServer(server, await memberCount(rt, server.id));
}

/**
 * Creates a server in one transaction: the server, its @everyone role (id = server id, default
 * permissions), a `general` text channel and the owner as its first member. The owner's
 * connections join its rooms and receive SERVER_CREATE.
 */
export async function createServer(
  rt: Runtime,
  ownerId: string,
  fields: { name: string; description?: string | null },
): Promise<ServerObject> {
  const { Server, Role, Channel, Member } = rt.models;
  const serverId = rt.snowflake.next();
  const generalId = rt.snowflake.next();
  const server = await rt.sequelize.transaction(async (transaction) => {
    const created = await Server.create(
      {
        id: serverId,
        name: fields.name,
        description: fields.description ?? null,
        owner_id: ownerId,
        created_at: createdAt(serverId),
      },
      { transaction },
    );
    await Role.create(
      {
        id: serverId,
        server_id: serverId,
        name: '@everyone',
        permissions: String(DEFAULT_EVERYONE_PERMISSIONS),
        position: 0,
        created_at: createdAt(serverId),
      },
      { transaction },
    );
    await Channel.create(
      {
        id: generalId,
        server_id: serverId,
        name: 'general',
        channel_type: 'text',
        position: 0,
        created_at: createdAt(generalId),
      },
      { transaction },
    );
    await Member.create({ server_id: serverId, user_id: ownerId }, { transaction });
    await invalidate(rt, { servers: [serverId], channels: [generalId] }, transaction);
    return created;
  });
  const payload = presentServer(server, 1);
  try {
    await rt.events.joinRooms(rooms.user(ownerId), [rooms.server(serverId), rooms.channel(generalId)]);
    await rt.events.dispatch([rooms.user(ownerId)], 'SERVER_CREATE', payload);
  } catch (err) {
    rt.logger.warn({ err: (err as Error).message, server: serverId }, 'could not announce new server');
  }
  return payload;
}

/** GET /servers/{id}: members only (404 for anyone else). */
export async function getServer(rt: Runtime, serverId: string, userId: string): Promise<ServerObject> {
  const policy = await ServerPolicy.load(rt, serverId, userId);
  return serverObject(rt, policy.server);
}

export interface ServerPatch {
  name?: string;
  description?: string | null;
  icon_url?: string | null;
  owner_id?: string;
}

/**
 * PATCH /servers/{id}: name, description and icon need MANAGE_SERVER; `owner_id` transfers the
 * ownership (owner only; the new owner must be a member). Audited as server_update (the diff) and
 * server_transfer; members receive SERVER_UPDATE.
 */
export async function updateServer(
  rt: Runtime,
  serverId: string,
  actorId: string,
  patch: ServerPatch,
  reason: string | null,
): Promise<ServerObject> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  const { owner_id: newOwnerId, ...fields } = patch;
  if (Object.keys(fields).length > 0) policy.require(Permission.MANAGE_SERVER);
  if (newOwnerId !== undefined && !policy.isOwner) throw new OwnerOnlyError('transfer the ownership');

  const { Server, Member } = rt.models;
  const result = await rt.sequelize.transaction(async (transaction) => {
    const server = await Server.findByPk(serverId, { transaction, lock: transaction.LOCK.UPDATE });
    if (!server) throw new NotFoundError('server');
    // The owner may have changed since the policy was loaded.
    if (newOwnerId !== undefined && server.owner_id !== actorId) {
      throw new OwnerOnlyError('transfer the ownership');
    }
    const before = { name: server.name, description: server.description, icon_url: server.icon_url };
    const after = { ...before, ...fields };
    const changes = diff(before, after);
    let changed = false;
    if (changes.length > 0) {
      server.set(fields);
      changed = true;
      await recordAudit(
        rt,
        {
          serverId,
          actorId,
          action: 'server_update',
          targetType: 'server',
          targetId: serverId,
          changes,
          reason,
        },
        transaction,
      );
    }
    if (newOwnerId !== undefined && newOwnerId !== server.owner_id) {
      const member = await Member.findOne({
        where: { server_id: serverId, user_id: newOwnerId },
        transaction,
      });
      if (!member) throw new ValidationError({ owner_id: 'owner_id must be a member of the server' });
      await recordAudit(
        rt,
        {
          serverId,
          actorId,
          action: 'server_transfer',
          targetType: 'user',
          targetId: newOwnerId,
          changes: [{ key: 'owner_id', old: server.owner_id, new: newOwnerId }],
          reason,
        },
        transaction,
      );
      server.owner_id = newOwnerId;
      changed = true;
    }
    if (changed) {
      await server.save({ transaction });
      await invalidate(rt, { servers: [serverId] }, transaction);
    }
    return { server, changed, transferred: server.owner_id !== actorId };
  });
  const payload = await serverObject(rt, result.server);
  if (result.changed) await rt.events.dispatch([rooms.server(serverId)], 'SERVER_UPDATE', payload);
  // The old owner keeps only what their roles give them, at once (rooms and live voice).
  if (result.transferred) {
    await permissionsChanged(rt, serverId, [actorId, result.server.owner_id], { announce: true });
  }
  return payload;
}

/**
 * DELETE /servers/{id}: the owner only (members get 403 `owner_only`, others 404). Everything of
 * the server goes with it (foreign keys cascade); members receive SERVER_DELETE and their
 * connections leave the server's rooms.
 */
export async function deleteServer(rt: Runtime, serverId: string, actorId: string): Promise<void> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  if (!policy.isOwner) throw new OwnerOnlyError('delete the server');
  const channels = await rt.models.Channel.findAll({ where: { server_id: serverId }, attributes: ['id'] });
  const deleted = await rt.models.Server.destroy({ where: { id: serverId, owner_id: actorId } });
  if (deleted === 0) throw new OwnerOnlyError('delete the server');
  // Its members, roles, channels and overwrites went by cascade.
  await invalidate(rt, { servers: [serverId], channels: channels.map((c) => c.id) });
  const room = rooms.server(serverId);
  await rt.events.dispatch([room], 'SERVER_DELETE', { id: serverId });
  await rt.events.leaveRooms(room, [...channels.map((c) => rooms.channel(c.id)), room]);
}
