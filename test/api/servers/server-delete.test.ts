import { screeningOn } from '../../../shared/automod/store.js';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import { mediaStatus, png, postImage, sendForm } from '../../helpers/media.js';
import { until } from '../../helpers/services.js';
import { makeServer } from './helpers.js';

// A deleted server takes its rows with it by cascade; what lives outside them follows through its
// command's outbox row: the stored files its rows named (icon, emojis, its channels' uploads) in
// media jobs, and its Redis state (the AutoMod flag and version, the event-webhook summary).

let app: TestApp;
beforeAll(async () => {
  // The event webhook's receiver is on loopback (it is never called here).
  app = await startTestApp({ config: testConfig({ outbound: { allow_private: ['127.0.0.0/8'] } }) });
});
afterAll(() => app.close());

const image = (
  user: TestUser,
  method: string,
  path: string,
  name: string,
  fields: Record<string, string> = {},
) =>
  png(64, 64).then((data) =>
    sendForm(app, method, path, user, [
      ...Object.entries(fields).map(([field, value]) => ({ field, value })),
      { name, filename: 'p.png', type: 'image/png', data },
    ]),
  );

const status = (url: string) => mediaStatus(app, url);

/** This test's Redis keys that name `serverId` under `area` (automod, event-webhooks). */
const redisKeys = (area: string, serverId: string) =>
  app.rt.redis.keys(`${app.config.redis.key_prefix}:${area}:*${serverId}`);

it('deleting a server deletes its stored files and forgets its AutoMod and event-webhook state', async () => {
  const owner = await registerUser(app);
  const { serverId, generalId } = await makeServer(app, owner);

  const icon = await image(owner, 'PATCH', `/servers/${serverId}/icon`, 'image');
  expect(icon.status).toBe(200);
  const iconUrl = icon.body.icon_url as string;
  const emoji = await image(owner, 'POST', `/servers/${serverId}/emojis`, 'image', { name: 'wave' });
  expect(emoji.status).toBe(201);
  const emojiRow = await app.rt.models.Emoji.findByPk(emoji.body.id as string);
  // An upload with the thumbnail the media worker made: that file goes too.
  const upload = await postImage(app, owner, generalId);
  const files = [
    iconUrl,
    iconUrl.replace(/\.webp$/, '.png'),
    emojiRow!.webp_key,
    emojiRow!.fallback_key,
    ...upload,
  ];
  for (const file of files) expect([file, await status(file)]).toEqual([file, 200]);

  const rule = await api(app, 'POST', `/servers/${serverId}/automod/rules`, {
    token: owner.token,
    body: { name: 'r', trigger_type: 'keyword', trigger: { keywords: ['x'] }, actions: [{ type: 'block' }] },
  });
  expect(rule.status).toBe(201);
  const hook = await api(app, 'POST', `/servers/${serverId}/event-webhooks`, {
    token: owner.token,
    body: { url: 'http://127.0.0.1:9/hook', events: ['MESSAGE_CREATE'] },
  });
  expect(hook.status).toBe(201);
  expect(await screeningOn(app.rt.redis, app.config.redis.key_prefix, serverId)).toBe(true);
  expect(await redisKeys('automod', serverId)).toHaveLength(2);
  expect(await redisKeys('event-webhooks', serverId)).not.toHaveLength(0);

  expect((await api(app, 'DELETE', `/servers/${serverId}`, { token: owner.token })).status).toBe(204);

  // Relayed before the answer: the Redis state is gone at once; the files in a media job.
  expect(await screeningOn(app.rt.redis, app.config.redis.key_prefix, serverId)).toBe(false);
  expect(await redisKeys('automod', serverId)).toEqual([]);
  expect(await redisKeys('event-webhooks', serverId)).toEqual([]);
  for (const file of files) await until(async () => (await status(file)) === 404, `${file} deleted`);
});
