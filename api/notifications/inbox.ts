import { Op } from 'sequelize';
import { pageBy } from '../../shared/pagination.js';
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
  const page = pageBy('id', query);
  const rows = await rt.models.Notification.findAll({
    where: {
      user_id: userId,
      [Op.or]: [{ channel_id: visible }, { channel_id: null }],
      ...page.where,
      ...(query.unread ? { read: false } : {}),
    },
    order: page.order,
    limit: page.limit,
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
      rt.config,
      r,
      (r.message_id && messageById.get(r.message_id)) || null,
      (r.author_id && authorById.get(r.author_id)) || null,
    ),
  );
}
