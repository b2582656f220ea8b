import { QueryTypes } from 'sequelize';
import { setAvatar } from '../../shared/domain/users/avatar.js';
import type { JobPayload } from '../../shared/queues/index.js';
import { snowflakeFromTimestamp } from '../../shared/snowflake.js';
import { useTestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { createUser } from '../helpers/factories.js';
import { S3RVER_CREDENTIALS, startS3rver, type TestS3 } from '../helpers/s3rver.js';
import { until } from '../helpers/services.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

// Files whose rows a command removed are deleted by media jobs with retries. When storage is
// unreachable for a job's whole retry span, its keys stay in file_deletions, and the hourly sweep
// deletes them once storage is back (here: once the batch is made a day old, as time would).

let s3: TestS3;
let proxy: TcpProxy;
beforeAll(async () => {
  s3 = await startS3rver();
  proxy = await startTcpProxy(Number(new URL(s3.endpoint).port));
}, 60000);
const app = useTestApp(
  () => ({
    config: testConfig({
      storage: {
        driver: 's3',
        s3: {
          bucket: s3.bucket,
          region: 'us-east-1',
          endpoint: proxy.origin,
          force_path_style: true,
          ...S3RVER_CREDENTIALS,
        },
      },
    }),
    gateway: false,
  }),
  60000,
);

afterAll(async () => {
  await proxy.close();
  await s3.close();
});

afterEach(() => proxy.restore());

const keysLike = async (pattern: string) =>
  (
    await app.rt.sequelize.query<{ batch: string; key: string }>(
      'SELECT batch::text AS batch, key FROM file_deletions WHERE key LIKE $1 ORDER BY key',
      { bind: [pattern], type: QueryTypes.SELECT },
    )
  ).map((r) => r.key);

/** Waits for the media job that `matches` to have failed its last attempt. */
async function failedFinally(matches: (data: JobPayload<'media'>) => boolean): Promise<void> {
  await until(async () => {
    const failed = await app.rt.queues.media.getFailed();
    return failed.some((job) => matches(job.data) && job.attemptsMade >= (job.opts.attempts ?? 1));
  }, 'the job failed every attempt');
}

/** What the hourly sweep does a day later: the keys' batches made a day old, then a sweep run. */
async function sweepADayLater(pattern: string): Promise<void> {
  const dayOld = snowflakeFromTimestamp(Date.now() - 25 * 3600_000);
  await app.rt.sequelize.query('UPDATE file_deletions SET batch = $1 WHERE key LIKE $2', {
    bind: [dayOld, pattern],
  });
  await app.rt.queues.media.add('sweep_unbound', { kind: 'sweep_unbound' });
  await until(async () => (await keysLike(pattern)).length === 0, 'the sweep finished the batch');
}

it("a replaced avatar's files whose deletion fails on every attempt stay recorded, and the sweep deletes them", async () => {
  const user = await createUser(app.rt);
  const stem = `avatars/${user.id}/a${app.rt.snowflake.next()}`;
  const keys = [`${stem}.gif`, `${stem}.png`, `${stem}.webp`];
  for (const key of keys) await app.rt.storage.put(key, Buffer.from('x'), 'image/webp');
  await setAvatar(app.rt, user.id, `http://127.0.0.1/api/v1/media/${stem}.webp`);

  proxy.cut();
  await setAvatar(app.rt, user.id, null);
  await failedFinally((data) => data.kind === 'delete_file_batch');
  expect(await keysLike(`avatars/${user.id}/%`)).toEqual(keys);

  proxy.restore();
  for (const key of keys) expect(await app.rt.storage.head(key)).not.toBeNull();
  await sweepADayLater(`avatars/${user.id}/%`);
  for (const key of keys) expect(await app.rt.storage.head(key)).toBeNull();
});

it('a delete_files job (queued by an earlier release) records what its last attempt could not delete', async () => {
  const tag = app.rt.snowflake.next();
  const keys = [`attachments/legacy-${tag}/a.txt`, `attachments/legacy-${tag}/b.txt`];
  for (const key of keys) await app.rt.storage.put(key, Buffer.from('x'), 'text/plain');

  proxy.cut();
  await app.rt.queues.media.add('delete_files', { kind: 'delete_files', keys });
  await failedFinally((data) => data.kind === 'delete_files' && data.keys[0] === keys[0]);
  expect(await keysLike(`attachments/legacy-${tag}/%`)).toEqual(keys);

  proxy.restore();
  await sweepADayLater(`attachments/legacy-${tag}/%`);
  for (const key of keys) expect(await app.rt.storage.head(key)).toBeNull();
});
