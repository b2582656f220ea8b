import { screeningOn } from '../../../shared/automod/store.js';
import { invalidate } from '../../../shared/domain/invalidation.js';
import { refreshCache } from '../../../shared/outbox/refresh.js';
import { RETIRED_EPOCH_SECONDS } from '../../../shared/permissions/facts-cache.js';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import { mediaStatus, png, postImage, sendForm } from '../../helpers/media.js';
import { until } from '../../helpers/services.js';
import { addMember, makeServer } from './helpers.js';

// A deleted server takes its rows with it by cascade; what lives outside them follows through its
// command's outbox row: the stored files its rows named (icon, emojis, its channels' uploads) in
// media jobs, and its Redis state (the AutoMod flag and version, the event-webhook summary).

// The event webhook's receiver is on loopback (it is never called here).
const app = useTestApp({ config: testConfig({ outbound: { allow_private: ['127.0.0.0/8'] } }) });

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

it("deleting a server retires its and its channels' permission epochs: they expire after every entry cached under them", async () => {
  const owner = await registerUser(app);
  const someone = await registerUser(app);
  const { serverId, generalId } = await makeServer(app, owner);
  await addMember(app, serverId, someone.id);
  const prefix = app.config.redis.key_prefix;
  const serverEpoch = `${prefix}:perm-epoch:${serverId}`;
  const channelEpoch = `${prefix}:chan-epoch:${generalId}`;
  // Entries of every kind cached under those epochs: member facts, a member list page, the
  // channel's row and overwrites.
  for (const who of [owner, someone]) {
    expect((await api(app, 'GET', `/channels/${generalId}/messages`, { token: who.token })).status).toBe(200);
  }
  expect((await api(app, 'GET', `/servers/${serverId}/members`, { token: owner.token })).status).toBe(200);
  const entries = [
    ...(await app.rt.redis.keys(`${prefix}:member-facts:${serverId}:*`)),
    ...(await app.rt.redis.keys(`${prefix}:server-cache:${serverId}:*`)),
    `${prefix}:chan:${generalId}`,
    `${prefix}:chan-overwrites:${generalId}`,
  ];
  expect(entries.length).toBeGreaterThanOrEqual(5);
  for (const key of entries) expect([key, await app.rt.redis.exists(key)]).toEqual([key, 1]);
  for (const key of [serverEpoch, channelEpoch]) expect(await app.rt.redis.ttl(key)).toBe(-1);

  expect((await api(app, 'DELETE', `/servers/${serverId}`, { token: owner.token })).status).toBe(204);

  // Relayed before the answer. Not deleted: a counter reading 0 again while an entry cached under
  // 0, or under a value a late move brings it back to, still lives could make that entry current.
  const ttls = async () => {
    const [server, channel] = await Promise.all([serverEpoch, channelEpoch].map((k) => app.rt.redis.pttl(k)));
    return { server: server!, channel: channel! };
  };
  const retired = await ttls();
  for (const ttl of [retired.server, retired.channel]) {
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(RETIRED_EPOCH_SECONDS * 1000);
  }
  const outlived = async () => {
    const { server, channel } = await ttls();
    for (const key of entries) {
      const entryTtl = await app.rt.redis.pttl(key);
      expect([key, entryTtl <= Math.min(server, channel)]).toEqual([key, true]);
    }
  };
  await outlived();
  // A late move (a relay repeated after the deletion) keeps the expiry.
  await invalidate(app.rt, { servers: [serverId], channels: [generalId] });
  expect((await ttls()).server).toBeGreaterThan(0);
  expect((await ttls()).channel).toBeGreaterThan(0);
  await outlived();
  // What asks about the server afterwards finds it gone, cached entries or not.
  for (const who of [owner, someone]) {
    expect((await api(app, 'GET', `/channels/${generalId}/messages`, { token: who.token })).status).toBe(404);
    expect((await api(app, 'GET', `/servers/${serverId}/members`, { token: who.token })).status).toBe(404);
  }
  // And once the counters are gone (expired), nothing is cached under 0 that could look current.
  await app.rt.redis.del(serverEpoch, channelEpoch);
  for (const who of [owner, someone]) {
    expect((await api(app, 'GET', `/channels/${generalId}/messages`, { token: who.token })).status).toBe(404);
    expect((await api(app, 'GET', `/servers/${serverId}`, { token: who.token })).status).toBe(404);
  }
  // A living server's epochs are left alone by a repeat of the refresh (only the invalidate moves them).
  const other = await makeServer(app, owner);
  expect((await api(app, 'GET', `/servers/${other.serverId}/members`, { token: owner.token })).status).toBe(
    200,
  );
  await refreshCache(app.rt, 'server-epochs', [other.serverId]);
  await refreshCache(app.rt, 'channel-epochs', [other.generalId]);
  expect(await app.rt.redis.ttl(`${prefix}:perm-epoch:${other.serverId}`)).toBe(-1);
});
