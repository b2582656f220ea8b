import { Op, type WhereOptions } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import { visibleChannels } from '../../shared/permissions/index.js';
import { presentNotification, type NotificationObject } from '../../shared/presenters/read-state.js';
import type { Runtime } from '../../shared/runtime.js';

/** A page request of the inbox. */
export interface InboxQuery {
  limit: number;
  before?: string;
  after?: string;
  unread?: boolean;
}

/**
 * GET /users/@me/notifications: the caller's mentions and replies, newest first (oldest first with
 * `after`, as every cursor list), only `unread` ones on request. Only channels the caller can
 * still see: a notification never outlives access to its message. Notifications about no message
 * (webhook_disabled) concern the caller alone and are always listed.
 */
export async function listNotifications(
  rt: Runtime,
  userId: string,
  query: InboxQuery,
): Promise<NotificationObject[]> {
  const visible = (await visibleChannels(rt, userId)).map((c) => c.id);
  const id: Record<symbol, string> = {};
  if (query.before) id[Op.lt] = query.before;
  if (query.after) id[Op.gt] = query.after;
  const where: WhereOptions<Row<'Notification'>> = {
    user_id: userId,
    [Op.or]: [{ channel_id: visible }, { channel_id: null }],
  };
  if (query.before || query.after) Object.assign(where, { id });
  if (query.unread) Object.assign(where, { read: false });
  const rows = await rt.models.Notification.findAll({
    where,
    order: [['id', query.after ? 'ASC' : 'DESC']],
    limit: query.limit,
  });
  const [messages, authors] = await Promise.all([
    rt.models.Message.findAll({
      where: { id: rows.flatMap((r) => r.message_id ?? []) },
      attributes: ['id', 'content'],
    }),
    rt.models.User.findAll({ where: { id: [...new Set(rows.flatMap((r) => r.author_id ?? []))] } }),
  ]);
  const messageById = new Map(messages.map((m) => [m.id, m]));
  const authorById = new Map(authors.map((u) => [u.id, u]));
  return rows.map((r) =>
    presentNotification(
      r,
      (r.message_id && messageById.get(r.message_id)) || null,
      (r.author_id && authorById.get(r.author_id)) || null,
    ),
  );
}
