import { QueryTypes } from 'sequelize';
import { runCommand } from '../../outbox/index.js';
import { threadAudienceRoom } from '../../permissions/viewers.js';
import { presentThread } from '../../presenters/thread.js';
import type { Runtime } from '../../runtime.js';

/** Threads archived per statement (the sweep repeats until none is left). */
const BATCH = 500;

/**
 * Archives every thread without a message (or an unarchive) for longer than its
 * auto_archive_minutes, and tells its viewers with THREAD_UPDATE. Safe to run from
 * several workers at once: each batch locks its rows and skips those another sweep holds.
 * Returns how many threads it archived.
 */
export async function archiveIdleThreads(rt: Runtime): Promise<number> {
  let total = 0;
  for (;;) {
    // Each batch and its THREAD_UPDATEs commit together (shared/outbox).
    const archived = await runCommand(rt, null, async (transaction, fx) => {
      const rows = await rt.sequelize.query(
        `UPDATE thread_metadata SET archived = true, archived_at = now()
          WHERE channel_id IN (
            SELECT channel_id FROM thread_metadata
             WHERE NOT archived
               -- The shortest choice first, so the partial index narrows the scan.
               AND last_activity_at < now() - interval '60 minutes'
               AND last_activity_at < now() - make_interval(mins => auto_archive_minutes)
             LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
          RETURNING *`,
        { type: QueryTypes.SELECT, model: rt.models.ThreadMetadata, mapToModel: true, transaction },
      );
      if (rows.length === 0) return 0;
      const channels = await rt.models.Channel.findAll({
        where: { id: rows.map((m) => m.channel_id) },
        transaction,
      });
      const byId = new Map(channels.map((c) => [c.id, c]));
      for (const meta of rows) {
        const thread = byId.get(meta.channel_id);
        if (thread) fx.dispatch([threadAudienceRoom(thread)], 'THREAD_UPDATE', presentThread(thread, meta));
      }
      return rows.length;
    });
    total += archived;
    if (archived < BATCH) return total;
  }
}
