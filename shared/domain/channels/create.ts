import { diff, recordAudit } from '../../audit.js';
import type { Row } from '../../db/models/index.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { Permission, ServerPolicy, syncChannelRooms } from '../../permissions/index.js';
import type { ServerChannelObject } from '../../presenters/types.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { checkParent, lockServer, memberIds } from '../access.js';
import { presentServerChannel } from './present.js';
import { channelAuditFields, checkVoiceFields, type ChannelCreate } from './rules.js';

/**
 * Creates a server channel (MANAGE_CHANNELS). Without `position` the channel goes last; in a
 * category it starts with the category's overwrites. Audited as channel_create; the members who can
 * see it join its room, then receive CHANNEL_CREATE (and the server's event webhooks).
 */
export async function createChannel(
  rt: Runtime,
  serverId: string,
  actorId: string,
  body: ChannelCreate,
  reason: string | null,
): Promise<ServerChannelObject> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_CHANNELS);
  checkVoiceFields(body.channel_type, body);
  await checkParent(rt, serverId, body, body.parent_id);
  const { Channel, PermissionOverwrite } = rt.models;
  const id = rt.snowflake.next();
  return runCommand(rt, rooms.channel(id), async (transaction, fx) => {
    // Two creates at once would both read the same last position.
    await lockServer(rt, serverId, transaction);
    const last = await Channel.max<number | null, Row<'Channel'>>('position', {
      where: { server_id: serverId },
      transaction,
    });
    const channel = await Channel.create(
      {
        id,
        server_id: serverId,
        parent_id: body.parent_id ?? null,
        name: body.name,
        channel_type: body.channel_type,
        topic: body.topic ?? null,
        nsfw: body.nsfw ?? false,
        slowmode_seconds: body.slowmode_seconds ?? 0,
        position: body.position ?? (last ?? -1) + 1,
        ...(body.user_limit !== undefined ? { user_limit: body.user_limit } : {}),
        ...(body.bitrate !== undefined ? { bitrate: body.bitrate } : {}),
        created_at: new Date(decodeSnowflake(id).timestampMs),
      },
      { transaction },
    );
    // Before any effect that shows the channel: its caches (and its overwrites') move first.
    fx.invalidate({ channels: [id] });
    // A channel created in a category starts with the category's overwrites (synced, as in
    // Discord); changing either later does not change the other.
    if (body.parent_id) {
      const inherited = await PermissionOverwrite.findAll({
        where: { channel_id: body.parent_id },
        transaction,
      });
      await PermissionOverwrite.bulkCreate(
        inherited.map((o) => ({
          channel_id: id,
          target_id: o.target_id,
          type: o.type,
          allow: o.allow,
          deny: o.deny,
        })),
        { transaction },
      );
    }
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'channel_create',
        targetType: 'channel',
        targetId: id,
        changes: diff({}, channelAuditFields(channel)),
        reason,
      },
      transaction,
    );
    const members = await memberIds(rt, serverId, transaction);
    await syncChannelRooms(rt, serverId, members, { transaction, effects: fx });
    const payload = await presentServerChannel(rt, channel, transaction);
    fx.dispatch([rooms.channel(id)], 'CHANNEL_CREATE', payload);
    fx.outgoing({
      type: 'CHANNEL_CREATE',
      server_id: serverId,
      channel_id: id,
      data: payload,
      key: `CHANNEL_CREATE-${id}`,
    });
    return payload;
  });
}
