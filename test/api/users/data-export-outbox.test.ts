import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QueryTypes } from 'sequelize';
import { relayLeftovers } from '../../../shared/outbox/index.js';
import { bullPrefix, exportJobId, type TypedQueue } from '../../../shared/queues/index.js';
import { api, registerUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';

// Requesting an export is a command whose build job is an outbox effect: the job leaves with the
// committed row, so a Redis that refuses it at that moment delays the export instead of losing it
// (before, the request failed with 503). No workers here: the relay loop is driven by hand.

const app = useTestApp({ gateway: false, workers: false });

describe('a data export request', () => {
  it('is accepted while the queue refuses its job, which is queued from the outbox once Redis answers', async () => {
    const me = await registerUser(app);
    const queues = app.rt.queues;
    const working = queues.exports;
    // A queue whose connection is closed: every add is refused at once, as with Redis gone.
    const closed = new Redis({ lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: null });
    closed.disconnect();
    const refusing = new Queue('exports', {
      connection: closed,
      prefix: bullPrefix(app.config),
    }) as unknown as TypedQueue<'exports'>;
    refusing.on('error', () => undefined);
    let exportId: string;
    try {
      queues.exports = refusing;
      const requested = await api(app, 'POST', '/users/@me/export', { token: me.token });
      expect([requested.status, requested.body.status]).toEqual([202, 'pending']);
      exportId = requested.body.id as string;
    } finally {
      queues.exports = working;
      await refusing.close().catch(() => undefined);
    }
    const jobId = exportJobId('build', exportId);
    expect(await Job.fromId(working, jobId)).toBeUndefined();

    // The export's row and its job are both kept; a second request gets the same export.
    const again = await api(app, 'POST', '/users/@me/export', { token: me.token });
    expect([again.status, again.body.id]).toEqual([202, exportId]);
    const scope = app.config.redis.key_prefix;
    const kept = await app.rt.sequelize.query<{ id: string }>(
      `SELECT id FROM outbox WHERE scope = $1 AND effects @> $2::jsonb`,
      {
        bind: [scope, JSON.stringify([{ k: 'job', queue: 'exports', data: { export_id: exportId } }])],
        type: QueryTypes.SELECT,
      },
    );
    expect(kept).toHaveLength(1);

    // As a workers process's relay loop does once the row is past its grace period.
    await app.rt.sequelize.query(`UPDATE outbox SET created_at = now() - interval '1 minute' WHERE id = $1`, {
      bind: [kept[0]?.id],
    });
    expect(await relayLeftovers(app.rt)).toBeGreaterThanOrEqual(1);
    const job = await Job.fromId(working, jobId);
    expect(job?.data).toEqual({ kind: 'build', export_id: exportId });
  });
});
