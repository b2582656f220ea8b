import { QueryTypes } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import { loadThreadParent } from '../../shared/domain/threads/access.js';
import { NotFoundError } from '../../shared/errors.js';
import { Permission, has } from '../../shared/permissions/index.js';
import { presentThread, type ThreadObject } from '../../shared/presenters/thread.js';
import type { Runtime } from '../../shared/runtime.js';

// Thread reads; the changes are domain commands (shared/domain/threads/).

/** The thread object of a thread channel (GET /channels/{id} on a thread). */
export async function presentThreadChannel(
  rt: Pick<Runtime, 'models'>,
  thread: Row<'Channel'>,
): Promise<ThreadObject> {
  const meta = await rt.models.ThreadMetadata.findByPk(thread.id, {
    rejectOnEmpty: new NotFoundError('channel'),
  });
  return presentThread(thread, meta);
}

/**
 * GET /channels/{channel_id}/threads: the threads of a text channel the caller can see, newest
 * first (`before` a thread id, `limit`); active ones, or archived ones with `archived`. Private
 * threads only for their members and those who may manage threads.
 */
export async function listThreads(
  rt: Runtime,
  parentId: string,
  userId: string,
  query: { archived: boolean; before?: string; limit: number },
): Promise<ThreadObject[]> {
  const { parent, permissions } = await loadThreadParent(rt, parentId, userId, Permission.VIEW_CHANNEL);
  const metas = await rt.sequelize.query(
    `SELECT tm.* FROM thread_metadata tm JOIN channels c ON c.id = tm.channel_id
      WHERE c.parent_id = $1 AND tm.archived = $2 AND ($3::bigint IS NULL OR c.id < $3)
        AND (c.channel_type = 'public_thread' OR $5
             OR EXISTS (SELECT 1 FROM thread_members m WHERE m.thread_id = c.id AND m.user_id = $6))
      ORDER BY c.id DESC LIMIT $4`,
    {
      bind: [
        parent.id,
        query.archived,
        query.before ?? null,
        query.limit,
        has(permissions, Permission.MANAGE_THREADS),
        userId,
      ],
      type: QueryTypes.SELECT,
      model: rt.models.ThreadMetadata,
      mapToModel: true,
    },
  );
  const channels = await rt.models.Channel.findAll({ where: { id: metas.map((m) => m.channel_id) } });
  const byId = new Map(channels.map((c) => [c.id, c]));
  return metas.flatMap((m) => {
    const channel = byId.get(m.channel_id);
    return channel ? [presentThread(channel, m)] : [];
  });
}
