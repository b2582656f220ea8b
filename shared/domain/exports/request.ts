import type { Row } from '../../db/models/index.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { exportJobId } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';

/** Whether an export's archive can still be downloaded. */
export function downloadable(row: Row<'DataExport'>): boolean {
  return (
    row.status === 'ready' &&
    row.storage_key !== null &&
    (row.expires_at === null || row.expires_at > new Date())
  );
}

/** `userId`'s latest export request, or null. */
export function latestExport(rt: Pick<Runtime, 'models'>, userId: string): Promise<Row<'DataExport'> | null> {
  return rt.models.DataExport.findOne({ where: { user_id: userId }, order: [['id', 'DESC']] });
}

/**
 * `userId` asks for an archive of their data (POST /users/@me/export). While one is pending, or
 * within accounts.export_cooldown_minutes of the last request while its archive is still there,
 * that export is the answer: asking twice never builds two archives. Otherwise a pending export is
 * recorded with its `exports` build job as an outbox effect, so the job is queued once the row is
 * committed, also when Redis is down at the time (the relay loop queues it when Redis answers).
 */
export async function requestExport(rt: Runtime, userId: string): Promise<Row<'DataExport'>> {
  const last = await latestExport(rt, userId);
  const cooldownMs = rt.config.accounts.export_cooldown_minutes * 60_000;
  const recent = last !== null && Date.now() - last.created_at.getTime() < cooldownMs;
  if (last && (last.status === 'pending' || (recent && downloadable(last)))) return last;
  const id = rt.snowflake.next();
  return runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    const row = await rt.models.DataExport.create(
      { id, user_id: userId, created_at: new Date(decodeSnowflake(id).timestampMs) },
      { transaction },
    );
    fx.job('exports', 'build', { kind: 'build', export_id: id }, { jobId: exportJobId('build', id) });
    return row;
  });
}
