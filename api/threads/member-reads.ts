import { QueryTypes } from 'sequelize';
import { loadThread } from '../../shared/domain/threads/access.js';
import { presentThreadMember, type ThreadMemberObject } from '../../shared/presenters/thread.js';
import type { Runtime } from '../../shared/runtime.js';

// Thread member reads; joining, leaving, adding and removing are shared/domain/threads/members.ts.

/**
 * GET /channels/{thread_id}/thread-members: the thread's members who are still in the server,
 * by user id (`after` a user id, `limit`).
 */
export async function listThreadMembers(
  rt: Runtime,
  threadId: string,
  userId: string,
  page: { after?: string; limit: number },
): Promise<ThreadMemberObject[]> {
  const access = await loadThread(rt, threadId, userId);
  const rows = await rt.sequelize.query(
    `SELECT tm.* FROM thread_members tm
       JOIN members m ON m.server_id = $2 AND m.user_id = tm.user_id
      WHERE tm.thread_id = $1 AND ($3::bigint IS NULL OR tm.user_id > $3)
      ORDER BY tm.user_id LIMIT $4`,
    {
      bind: [threadId, access.policy.server.id, page.after ?? null, page.limit],
      type: QueryTypes.SELECT,
      model: rt.models.ThreadMember,
      mapToModel: true,
    },
  );
  const users = await rt.models.User.findAll({ where: { id: rows.map((r) => r.user_id) } });
  const byId = new Map(users.map((u) => [u.id, u]));
  return rows.map((r) => presentThreadMember(rt.config, r, byId.get(r.user_id)));
}
