import crypto from 'node:crypto';
import type { Job } from 'bullmq';
import { exportJobId, type ExportsJob, type ExportsResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { exportKey } from '../../shared/storage/keys.js';
import { storeExportArchive } from './export-archive.js';

/**
 * The `exports` queue. `build` writes the archive of an export's user to storage (export-archive.ts)
 * and marks the export ready, then queues its `expire` step delayed by accounts.export_ttl_hours;
 * a build that fails its last attempt marks the export failed (the user may ask again at once).
 * `expire` deletes the archive and marks the export expired. Both are idempotent: a retried build
 * of a ready export does nothing, and an export whose row is gone (its account was deleted) is
 * skipped.
 */
export function createExportsProcessor(rt: Runtime) {
  const { DataExport, User } = rt.models;

  async function build(job: Job<ExportsJob>): Promise<ExportsResult> {
    const row = await DataExport.findByPk(job.data.export_id);
    if (!row) return 'gone';
    if (row.status !== 'pending') return row.status;
    const user = await User.findByPk(row.user_id);
    if (!user || user.deleted_at) return 'gone';
    const key = exportKey(user.id, row.id, crypto.randomBytes(16).toString('hex'));
    try {
      const stored = await storeExportArchive(rt, user, key);
      const finished = new Date();
      const expires = new Date(finished.getTime() + rt.config.accounts.export_ttl_hours * 3_600_000);
      await row.update({
        status: 'ready',
        storage_key: key,
        size: String(stored.size),
        finished_at: finished,
        expires_at: expires,
      });
      await rt.queues.exports.add(
        'expire',
        { kind: 'expire', export_id: row.id },
        { jobId: exportJobId('expire', row.id), delay: expires.getTime() - Date.now() },
      );
      rt.logger.info(
        { export: row.id, user: user.id, messages: stored.messages, bytes: stored.size },
        'export ready',
      );
      return 'ready';
    } catch (err) {
      await rt.storage.delete(key).catch(() => undefined);
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        await row.update({
          status: 'failed',
          error: (err as Error).message.slice(0, 500),
          finished_at: new Date(),
        });
      }
      throw err;
    }
  }

  async function expire(job: Job<ExportsJob>): Promise<ExportsResult> {
    const row = await DataExport.findByPk(job.data.export_id);
    if (!row) return 'gone';
    if (row.storage_key) await rt.storage.delete(row.storage_key);
    await row.update({ storage_key: null, expires_at: row.expires_at ?? new Date() });
    return 'expired';
  }

  return (job: Job<ExportsJob>): Promise<ExportsResult> =>
    job.data.kind === 'build' ? build(job) : expire(job);
}
