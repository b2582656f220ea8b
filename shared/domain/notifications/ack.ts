import { Op, type WhereOptions } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * Marks `userId`'s notifications read (POST /users/@me/notifications/ack), all of them or those
 * older than `before`; returns how many changed.
 */
export async function ackNotifications(
  rt: Runtime,
  userId: string,
  body: { before?: string },
): Promise<{ count: number }> {
  const where: WhereOptions<Row<'Notification'>> = { user_id: userId, read: false };
  if (body.before) Object.assign(where, { id: { [Op.lt]: body.before } });
  const [count] = await runCommand(rt, rooms.user(userId), (transaction) =>
    rt.models.Notification.update({ read: true }, { where, transaction }),
  );
  return { count };
}

/** Marks one of `userId`'s notifications read (POST .../notifications/{id}/ack); 404 if not theirs. */
export async function ackNotification(rt: Runtime, userId: string, notificationId: string): Promise<void> {
  const [count] = await runCommand(rt, rooms.user(userId), (transaction) =>
    rt.models.Notification.update(
      { read: true },
      { where: { id: notificationId, user_id: userId }, transaction },
    ),
  );
  if (count === 0) throw new NotFoundError('notification');
}
