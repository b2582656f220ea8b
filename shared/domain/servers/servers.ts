import type { Transaction } from 'sequelize';
import { recordAudit, diff, type AuditChange } from '../../audit.js';
import type { Row } from '../../db/models/index.js';
import { NotFoundError, OwnerOnlyError, ValidationError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand, type Effects } from '../../outbox/index.js';
import { DEFAULT_EVERYONE_PERMISSIONS, Permission, ServerPolicy } from '../../permissions/index.js';
import { presentServer } from '../../presenters/server.js';
import type { ServerObject } from '../../presenters/types.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { renditionKeys } from '../../storage/renditions.js';
import { deleteFilesAfterCommit, deleteRowFilesAfterCommit } from '../../storage/row-files.js';

const createdAt = (id: string): Date => new Date(decodeSnowflake(id).timestampMs);

/** The server object as its members see it (as `transaction` sees it, if given). */
export async function serverObject(
  rt: Pick<Runtime, 'models' | 'config'>,
  server: Row<'Server'>,
  transaction?: Transaction,
): Promise<ServerObject> {
  return presentServer(
    rt.config,
    server,
    await rt.models.Member.count({ where: { server_id: server.id }, transaction }),
  );
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
  return runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    const server = await Server.create(
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
    const payload = presentServer(rt.config, server, 1);
    fx.invalidate({ servers: [serverId], channels: [generalId] });
    fx.joinRooms(rooms.user(ownerId), [rooms.server(serverId), rooms.channel(generalId)]);
    fx.dispatch([rooms.user(ownerId)], 'SERVER_CREATE', payload);
    return payload;
  });
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
  return runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    const server = await Server.findByPk(serverId, { transaction, lock: transaction.LOCK.UPDATE });
    if (!server) throw new NotFoundError('server');
    let transferred = false;
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
      transferred = true;
    }
    const payload = changed
      ? await serverSaved(rt, server, transaction, fx)
      : await serverObject(rt, server, transaction);
    // The old owner keeps only what their roles give them (rooms and live voice).
    if (transferred) fx.permissionsChanged(serverId, [actorId, server.owner_id], { announce: true });
    return payload;
  });
}

/**
 * DELETE /servers/{id}: the owner only (members get 403 `owner_only`, others 404). Everything of
 * the server goes with it (foreign keys cascade); members receive SERVER_DELETE and their
 * connections leave the server's rooms. What lives outside its rows follows through the outbox:
 * the stored files of its icon, emojis and its channels' attachments (media `delete_file_batch` jobs),
 * its AutoMod flag and event-webhook summary (forgotten), whoever is in its voice channels
 * (disconnected), and its and its channels' permission cache epochs (retired).
 */
export async function deleteServer(rt: Runtime, serverId: string, actorId: string): Promise<void> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  if (!policy.isOwner) throw new OwnerOnlyError('delete the server');
  const room = rooms.server(serverId);
  await runCommand(rt, room, async (transaction, fx) => {
    const server = await rt.models.Server.findByPk(serverId, { transaction, lock: transaction.LOCK.UPDATE });
    if (!server || server.owner_id !== actorId) throw new OwnerOnlyError('delete the server');
    const channels = await rt.models.Channel.findAll({
      where: { server_id: serverId },
      attributes: ['id'],
      transaction,
    });
    await deleteRowFilesAfterCommit(rt, fx, { server: serverId }, transaction);
    await deleteFilesAfterCommit(rt, fx, renditionKeys(server.icon_url, `icons/${serverId}/`), transaction);
    await server.destroy({ transaction });
    // Its members, roles, channels, overwrites, emojis, rules and uploads went by cascade.
    fx.invalidate({ servers: [serverId], channels: channels.map((c) => c.id) });
    fx.dispatch([room], 'SERVER_DELETE', { id: serverId });
    fx.leaveRooms(room, [...channels.map((c) => rooms.channel(c.id)), room]);
    fx.refresh('automod', [serverId]);
    fx.refresh('event-webhooks', [serverId]);
    fx.refresh('voice', [serverId]);
    // After the invalidate above: its epochs moved, then retired (they would stay forever).
    fx.refresh('server-epochs', [serverId]);
    fx.refresh(
      'channel-epochs',
      channels.map((c) => c.id),
    );
  });
}

/**
 * In a command that changed the server row (held in `transaction`): saves it, moves its caches and
 * tells its members (SERVER_UPDATE). Returns the server object.
 */
async function serverSaved(
  rt: Pick<Runtime, 'models' | 'config'>,
  server: Row<'Server'>,
  transaction: Transaction,
  fx: Effects,
): Promise<ServerObject> {
  await server.save({ transaction });
  const payload = await serverObject(rt, server, transaction);
  fx.invalidate({ servers: [server.id] });
  fx.dispatch([rooms.server(server.id)], 'SERVER_UPDATE', payload);
  return payload;
}

/** A new icon: its URL and, for the audit log, the upload's size, type and dimensions. */
export interface IconUpload {
  url: string;
  facts: unknown;
}

/**
 * Sets (an upload) or clears (null) a server's icon (MANAGE_SERVER): `icon_url`, audited as
 * `server_update` with the upload's facts; members hear SERVER_UPDATE, and the files of the icon it
 * replaced are deleted after the commit (a job). Returns the server.
 */
export async function setServerIcon(
  rt: Runtime,
  input: { serverId: string; actorId: string; upload: IconUpload | null; reason: string | null },
): Promise<ServerObject> {
  const { serverId, actorId, upload } = input;
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_SERVER);
  return runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    const server = await rt.models.Server.findByPk(serverId, { transaction, lock: transaction.LOCK.UPDATE });
    if (!server) throw new NotFoundError('server');
    const old = server.icon_url;
    const url = upload?.url ?? null;
    if (old === url) return serverObject(rt, server, transaction);
    server.icon_url = url;
    const changes: AuditChange[] = [
      { key: 'icon_url', old, new: url },
      ...(upload ? [{ key: 'icon_upload', new: upload.facts }] : []),
    ];
    const audit = { serverId, actorId, targetType: 'server', targetId: serverId, reason: input.reason };
    await recordAudit(rt, { ...audit, action: 'server_update', changes }, transaction);
    await deleteFilesAfterCommit(rt, fx, renditionKeys(old, `icons/${serverId}/`), transaction);
    return serverSaved(rt, server, transaction, fx);
  });
}
