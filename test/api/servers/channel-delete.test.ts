import { QueryTypes } from 'sequelize';
import { api, registerUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { DoomedApis } from '../../helpers/doomed-api.js';
import { mediaStatus, postImage } from '../../helpers/media.js';
import { until } from '../../helpers/services.js';
import { makeServer } from './helpers.js';

// A deleted channel or thread takes its upload rows with it by cascade; the stored files they
// named go through the command's outbox row (a media job), as a deleted server's do. The keys are
// captured in file_deletions, not in the outbox row, however many they are.

const doomed = new DoomedApis(() => app.config);
const app = useTestApp();
afterAll(async () => {
  await doomed.killAll();
});

const gone = (keys: string[]) =>
  Promise.all(keys.map((key) => until(async () => (await mediaStatus(app, key)) === 404, `${key} deleted`)));
const statuses = (keys: string[]) => Promise.all(keys.map((key) => mediaStatus(app, key)));

it('deleting a thread, a channel (with its threads) or a category deletes the stored files of their own uploads', async () => {
  const owner = await registerUser(app);
  const { serverId, generalId } = await makeServer(app, owner);
  const create = async (path: string, body: object) => {
    const res = await api(app, 'POST', path, { token: owner.token, body });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const threadA = await create(`/channels/${generalId}/threads`, { name: 'a' });
  const threadB = await create(`/channels/${generalId}/threads`, { name: 'b' });
  const category = await create(`/servers/${serverId}/channels`, { name: 'c', channel_type: 'category' });
  const child = await create(`/servers/${serverId}/channels`, {
    name: 'child',
    channel_type: 'text',
    parent_id: category,
  });
  const files = {
    general: await postImage(app, owner, generalId),
    threadA: await postImage(app, owner, threadA),
    threadB: await postImage(app, owner, threadB),
    child: await postImage(app, owner, child),
  };
  const all = Object.values(files).flat();
  expect(await statuses(all)).toEqual(all.map(() => 200));

  const remove = async (id: string) =>
    expect((await api(app, 'DELETE', `/channels/${id}`, { token: owner.token })).status).toBe(204);
  await remove(threadA);
  await gone(files.threadA);
  // A category's children stay (their parent is cleared), with their files.
  await remove(category);
  await remove(generalId);
  await gone([...files.general, ...files.threadB]);
  expect(await statuses(files.child)).toEqual([200, 200]);
  // Their permission cache epochs are retired (set to expire), a living channel's kept.
  const epochTtl = (id: string) => app.rt.redis.ttl(`${app.config.redis.key_prefix}:chan-epoch:${id}`);
  for (const id of [threadA, threadB, category, generalId]) expect(await epochTtl(id)).toBeGreaterThan(0);
  expect(await epochTtl(child)).toBe(-1);
});

it('a channel with very many uploads leaves a small outbox row: the relay and the media worker page through its files', async () => {
  const owner = await registerUser(app);
  const { generalId } = await makeServer(app, owner);
  // 1201 uploads (three pages), stored and recorded directly: the upload route would take minutes.
  const count = 1201;
  const keys = Array.from({ length: count }, (_, i) => `attachments/bulk-${generalId}/${i}.txt`);
  for (const key of keys) await app.rt.storage.put(key, Buffer.from('x'), 'text/plain');
  await app.rt.sequelize.query(
    `INSERT INTO attachments (id, uploader_id, channel_id, filename, content_type, size, storage_key, status, created_at)
     SELECT $1::bigint + i, $2, $3, 'x.txt', 'text/plain', 1, k, 'ready', now()
       FROM unnest($4::text[]) WITH ORDINALITY AS u(k, i)`,
    { bind: [app.rt.snowflake.next(), owner.id, generalId, keys] },
  );

  // The API dies right after the commit: its outbox row is left for the relay loop, as it was written.
  await doomed.send(owner.token, 'DELETE', `/channels/${generalId}`);
  const [row] = await app.rt.sequelize.query<{ effects: unknown }>(
    `SELECT effects FROM outbox WHERE order_key = $1`,
    { bind: [`channel:${generalId}`], type: QueryTypes.SELECT },
  );
  const stored = JSON.stringify(row?.effects);
  expect(stored.length).toBeLessThan(4000);
  expect(stored).not.toContain(`bulk-${generalId}`);

  await until(
    async () => (await app.rt.storage.head(keys[count - 1]!)) === null,
    'the last page deleted',
    60000,
  );
  for (const key of keys) expect([key, await app.rt.storage.head(key)]).toEqual([key, null]);
  const [left] = await app.rt.sequelize.query<{ n: string }>(
    `SELECT count(*) AS n FROM file_deletions WHERE key LIKE $1`,
    { bind: [`attachments/bulk-${generalId}/%`], type: QueryTypes.SELECT },
  );
  expect(Number(left?.n)).toBe(0);
}, 120000);
