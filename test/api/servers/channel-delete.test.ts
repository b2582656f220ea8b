import { api, registerUser } from '../../helpers/accounts.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { mediaStatus, postImage } from '../../helpers/media.js';
import { until } from '../../helpers/services.js';
import { makeServer } from './helpers.js';

// A deleted channel or thread takes its upload rows with it by cascade; the stored files they
// named go through the command's outbox row (media jobs), as a deleted server's do.

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

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
});
