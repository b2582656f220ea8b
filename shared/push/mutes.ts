import { QueryTypes } from 'sequelize';
import { isThreadType } from '../db/models/channel.js';
import type { Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';

/** A stored mute: in force while `muted` and `muted_until` is unset or still ahead. */
export interface MuteRow {
  muted: boolean;
  muted_until: Date | string | null;
}

/** Where the setting that decides came from. */
export type MuteScope = 'channel' | 'parent' | 'server';

/** Whether a mute setting silences pushes at `now`. */
export function muteInForce(row: MuteRow, now = Date.now()): boolean {
  return row.muted && (row.muted_until === null || new Date(row.muted_until).getTime() > now);
}

/**
 * For each of `userIds` that has one, the setting that decides about pushes from `channel`: the
 * most specific that exists, i.e. the channel's own, else (for a thread) its parent channel's,
 * else the server's. So an explicit channel unmute wins over a muted server, and a channel mute
 * that ran out means unmuted. One query for all the users.
 */
export async function decisiveMutes(
  rt: Pick<Runtime, 'sequelize'>,
  channel: Pick<Row<'Channel'>, 'id' | 'server_id' | 'parent_id' | 'channel_type'>,
  userIds: string[],
): Promise<Map<string, MuteRow & { scope: MuteScope }>> {
  const decisive = new Map<string, MuteRow & { scope: MuteScope }>();
  if (userIds.length === 0) return decisive;
  const parentId = isThreadType(channel.channel_type) ? channel.parent_id : null;
  const rows = await rt.sequelize.query<MuteRow & { user_id: string; scope: string }>(
    `SELECT user_id, channel_id::text AS scope, muted, muted_until
       FROM channel_notification_settings
      WHERE user_id = ANY($1::bigint[]) AND channel_id = ANY($2::bigint[])
     UNION ALL
     SELECT user_id, 'server' AS scope, muted, muted_until
       FROM server_notification_settings
      WHERE user_id = ANY($1::bigint[]) AND server_id = $3`,
    {
      bind: [userIds, parentId ? [channel.id, parentId] : [channel.id], channel.server_id ?? '0'],
      type: QueryTypes.SELECT,
    },
  );
  const rank = (scope: string): MuteScope =>
    scope === 'server' ? 'server' : scope === channel.id ? 'channel' : 'parent';
  const order: MuteScope[] = ['channel', 'parent', 'server'];
  for (const row of rows) {
    const userId = String(row.user_id);
    const scope = rank(String(row.scope));
    const held = decisive.get(userId);
    if (!held || order.indexOf(scope) < order.indexOf(held.scope)) {
      decisive.set(userId, { muted: row.muted, muted_until: row.muted_until, scope });
    }
  }
  return decisive;
}

/** Which of `userIds` muted pushes from `channel` at this moment (see decisiveMutes). */
export async function mutedAmong(
  rt: Pick<Runtime, 'sequelize'>,
  channel: Pick<Row<'Channel'>, 'id' | 'server_id' | 'parent_id' | 'channel_type'>,
  userIds: string[],
): Promise<Set<string>> {
  const now = Date.now();
  const muted = new Set<string>();
  for (const [userId, row] of await decisiveMutes(rt, channel, userIds)) {
    if (muteInForce(row, now)) muted.add(userId);
  }
  return muted;
}
