import { invalidate } from '../../../shared/domain/invalidation.js';
import sharp from 'sharp';
import type { DispatchFrame } from '../../../shared/events/index.js';
import { Permission } from '../../../shared/permissions/index.js';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { until } from '../../helpers/services.js';
import { addMember, addRole, makeServer } from '../servers/helpers.js';
import { animatedGif, png, sendForm, type FormPart } from '../../helpers/media.js';
import { decodeSnowflake } from '../../../shared/snowflake.js';

const clients: GatewayClient[] = [];
const app = useTestApp();
afterAll(() => {
  for (const c of clients) c.close();
});

type Part = FormPart;

/** The emoji routes take their file as `image`. */
const send = (method: string, path: string, user: TestUser, parts: Part[]) =>
  sendForm(
    app,
    method,
    path,
    user,
    parts.map((p) => ('field' in p ? p : { ...p, name: 'image' })),
  );

const createEmoji = async (
  user: TestUser,
  serverId: string,
  name: string,
  data?: Buffer,
  type = 'image/png',
) =>
  send('POST', `/servers/${serverId}/emojis`, user, [
    { field: 'name', value: name },
    { filename: 'e.png', type, data: data ?? (await png()) },
  ]);

/** GETs a media URL exactly as the API handed it out (absolute). */
async function fetchMedia(url: string): Promise<Buffer> {
  expect(url.startsWith(`${app.origin}/api/v1/media/`)).toBe(true);
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

async function world() {
  const owner = await registerUser(app);
  const { serverId, generalId } = await makeServer(app, owner);
  return { owner, serverId, channelId: generalId };
}

describe('custom emoji CRUD', () => {
  it('creates a 128x128 WebP + PNG emoji, lists, renames, deletes; events and audit entries', async () => {
    const { owner, serverId } = await world();
    const watching = await connectGateway(app.origin, { token: owner.token });
    clients.push(watching);

    const created = await createEmoji(owner, serverId, 'party_Time', await png(200, 100));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      server_id: serverId,
      name: 'party_Time',
      animated: false,
      creator_id: owner.id,
      created_at: decodeSnowflake(created.body.id as string).createdAt,
    });
    const webp = await sharp(await fetchMedia(created.body.url)).metadata();
    expect([webp.format, webp.width, webp.height, webp.hasAlpha]).toEqual(['webp', 128, 128, true]);
    const fallback = await sharp(await fetchMedia(created.body.fallback_url)).metadata();
    expect([fallback.format, fallback.width, fallback.height]).toEqual(['png', 128, 128]);

    const update = await watching.waitForFrames(1, (f) => f.t === 'SERVER_EMOJIS_UPDATE');
    expect((update[0] as DispatchFrame<'SERVER_EMOJIS_UPDATE'>).d).toEqual({
      server_id: serverId,
      emojis: [created.body],
    });

    const list = await api(app, 'GET', `/servers/${serverId}/emojis`, { token: owner.token });
    expect([list.status, list.body]).toEqual([200, [created.body]]);

    const renamed = await api(app, 'PATCH', `/servers/${serverId}/emojis/${created.body.id}`, {
      token: owner.token,
      body: { name: 'renamed' },
    });
    expect([renamed.status, renamed.body.name]).toEqual([200, 'renamed']);
    const badName = await api(app, 'PATCH', `/servers/${serverId}/emojis/${created.body.id}`, {
      token: owner.token,
      body: { name: 'x' },
    });
    expect([badName.status, Object.keys(badName.body.errors)]).toEqual([400, ['name']]);

    const removed = await api(app, 'DELETE', `/servers/${serverId}/emojis/${created.body.id}`, {
      token: owner.token,
    });
    expect(removed.status).toBe(204);
    // Its files go after the commit, in a job of the workers.
    await until(
      async () => (await fetch(created.body.url as string)).status === 404,
      'the emoji file to be deleted',
    );
    const gone = await api(app, 'GET', `/servers/${serverId}/emojis/${created.body.id}`, {
      token: owner.token,
    });
    expect([gone.status, gone.body.code]).toEqual([404, 'unknown_emoji']);
    const frames = await watching.waitForFrames(3, (f) => f.t === 'SERVER_EMOJIS_UPDATE');
    expect((frames[2] as DispatchFrame<'SERVER_EMOJIS_UPDATE'>).d.emojis).toEqual([]);

    const log = await api(app, 'GET', `/servers/${serverId}/audit-logs`, { token: owner.token });
    const entries = (
      log.body as { action: string; target_id: string; actor_id: string; changes: unknown[] }[]
    ).filter((e) => e.action.startsWith('emoji_'));
    expect(entries.map((e) => e.action)).toEqual(['emoji_delete', 'emoji_update', 'emoji_create']);
    expect(entries[2]?.actor_id ?? entries[2]).toBeDefined();
    expect(entries[2]?.changes).toContainEqual({
      key: 'upload',
      new: expect.objectContaining({
        content_type: 'image/png',
        width: 200,
        height: 100,
        size: expect.any(Number),
      }),
    });
  });

  it('keeps an animated GIF animated (animated WebP and GIF)', async () => {
    const { owner, serverId } = await world();
    const created = await createEmoji(owner, serverId, 'dance', await animatedGif(), 'image/gif');
    expect([created.status, created.body.animated]).toEqual([201, true]);
    const webp = await sharp(await fetchMedia(created.body.url), { animated: true }).metadata();
    expect([webp.format, webp.pages, webp.width, webp.pageHeight]).toEqual(['webp', 3, 128, 128]);
    const gif = await sharp(await fetchMedia(created.body.fallback_url), { animated: true }).metadata();
    expect([gif.format, gif.pages]).toEqual(['gif', 3]);
  });

  it('refuses bad names, duplicates (any case), wrong types, large files and pictures', async () => {
    const { owner, serverId } = await world();
    const bad = await createEmoji(owner, serverId, 'no spaces');
    expect([bad.status, Object.keys(bad.body.errors)]).toEqual([400, ['name']]);
    const noName = await send('POST', `/servers/${serverId}/emojis`, owner, [
      { filename: 'e.png', type: 'image/png', data: await png() },
    ]);
    expect([noName.status, Object.keys(noName.body.errors)]).toEqual([400, ['name']]);
    const noFile = await send('POST', `/servers/${serverId}/emojis`, owner, [
      { field: 'name', value: 'abc' },
    ]);
    expect([noFile.status, Object.keys(noFile.body.errors)]).toEqual([400, ['image']]);

    expect((await createEmoji(owner, serverId, 'Wave')).status).toBe(201);
    const dup = await createEmoji(owner, serverId, 'wAVE');
    expect([dup.status, dup.body.code]).toEqual([409, 'emoji_name_taken']);

    const text = await createEmoji(owner, serverId, 'texty', Buffer.from('just some text'), 'image/png');
    expect([text.status, Object.keys(text.body.errors)]).toEqual([415, ['image']]);
    const bmp = await createEmoji(
      owner,
      serverId,
      'tiffy',
      await sharp(await png())
        .tiff()
        .toBuffer(),
    );
    expect([bmp.status, bmp.body.code]).toEqual([415, 'unsupported_media_type']);

    const big = await createEmoji(
      owner,
      serverId,
      'biggy',
      Buffer.concat([await png(), Buffer.alloc(300 * 1024)]),
    );
    expect([big.status, Object.keys(big.body.errors)]).toEqual([413, ['image']]);
    const wide = await createEmoji(owner, serverId, 'widey', await png(1025, 10));
    expect([wide.status, wide.body.code, Object.keys(wide.body.errors)]).toEqual([
      413,
      'image_too_large',
      ['image'],
    ]);

    const list = await api(app, 'GET', `/servers/${serverId}/emojis`, { token: owner.token });
    expect(list.body.map((e: { name: string }) => e.name)).toEqual(['Wave']);
  });

  it('also takes JSON with a data URI (same checks)', async () => {
    const { owner, serverId } = await world();
    const post = (body: unknown) =>
      api(app, 'POST', `/servers/${serverId}/emojis`, { token: owner.token, body });
    const dataUri = (data: Buffer) => `data:image/png;base64,${data.toString('base64')}`;
    const ok = await post({ name: 'json_one', image: dataUri(await png(10, 20)) });
    expect([ok.status, ok.body.name, ok.body.animated]).toEqual([201, 'json_one', false]);
    const webp = await sharp(await fetchMedia(ok.body.url)).metadata();
    expect([webp.width, webp.height]).toEqual([128, 128]);
    const notUri = await post({ name: 'json_two', image: 'https://example.com/a.png' });
    expect([notUri.status, Object.keys(notUri.body.errors)]).toEqual([400, ['image']]);
    const big = await post({ name: 'json_big', image: dataUri(Buffer.alloc(300 * 1024)) });
    expect([big.status, Object.keys(big.body.errors)]).toEqual([413, ['image']]);
    const text = await post({ name: 'json_text', image: dataUri(Buffer.from('hello there')) });
    expect([text.status, Object.keys(text.body.errors)]).toEqual([415, ['image']]);
  });

  it('at most 50 emoji per server: 400 too_many_emojis', async () => {
    const { owner, serverId } = await world();
    const row = (await createEmoji(owner, serverId, 'first')).body;
    // Fill up directly: 49 more rows pointing at the same files.
    const stored = await app.rt.models.Emoji.findByPk(row.id, { rejectOnEmpty: true });
    for (let i = 0; i < 49; i++) {
      await app.rt.models.Emoji.create({
        id: app.rt.snowflake.next(),
        server_id: serverId,
        name: `filler_${i}`,
        animated: false,
        creator_id: owner.id,
        webp_key: stored.webp_key,
        fallback_key: stored.fallback_key,
        created_at: new Date(),
      });
    }
    const over = await createEmoji(owner, serverId, 'one_more');
    expect([over.status, over.body.code]).toEqual([400, 'too_many_emojis']);
  });

  it('MANAGE_EMOJIS to manage (403 naming it), members may list, others get 404', async () => {
    const { owner, serverId } = await world();
    const member = await registerUser(app);
    await addMember(app, serverId, member.id);
    const outsider = await registerUser(app);
    const created = (await createEmoji(owner, serverId, 'mine')).body;

    const denied = await createEmoji(member, serverId, 'theirs');
    expect([denied.status, denied.body.permission]).toEqual([403, 'MANAGE_EMOJIS']);
    const rename = await api(app, 'PATCH', `/servers/${serverId}/emojis/${created.id}`, {
      token: member.token,
      body: { name: 'stolen' },
    });
    expect([rename.status, rename.body.permission]).toEqual([403, 'MANAGE_EMOJIS']);
    const list = await api(app, 'GET', `/servers/${serverId}/emojis`, { token: member.token });
    expect([list.status, list.body.length]).toEqual([200, 1]);
    const hidden = await api(app, 'GET', `/servers/${serverId}/emojis`, { token: outsider.token });
    expect([hidden.status, hidden.body.code]).toEqual([404, 'unknown_server']);

    const role = await addRole(app, serverId, Permission.MANAGE_EMOJIS);
    await app.rt.models.MemberRole.create({ server_id: serverId, user_id: member.id, role_id: role });
    await invalidate(app.rt, { servers: [serverId] });
    expect((await createEmoji(member, serverId, 'theirs')).status).toBe(201);
    const del = await api(app, 'DELETE', `/servers/${serverId}/emojis/${created.id}`, {
      token: member.token,
    });
    expect(del.status).toBe(204);
    const unknown = await api(app, 'DELETE', `/servers/${serverId}/emojis/${created.id}`, {
      token: member.token,
    });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_emoji']);
  });
});

describe('OpenAPI', () => {
  it('documents the emoji, avatar and icon routes with their multipart forms', async () => {
    const doc = (await api(app, 'GET', '/openapi.json')).body;
    const create = doc.paths['/servers/{server_id}/emojis'].post.requestBody.content;
    expect(Object.keys(create).sort()).toEqual(['application/json', 'multipart/form-data']);
    expect(doc.paths['/users/@me/avatar'].patch.requestBody.content['multipart/form-data']).toBeDefined();
    expect(
      doc.paths['/servers/{server_id}/icon'].patch.requestBody.content['multipart/form-data'],
    ).toBeDefined();
    expect(doc.paths['/servers/{server_id}/emojis/{emoji_id}'].patch).toBeDefined();
  });
});

describe('custom emoji in use', () => {
  it('reactions must name an emoji of the message’s server', async () => {
    const { owner, serverId, channelId } = await world();
    const other = await world();
    const mine = (await createEmoji(owner, serverId, 'mine')).body;
    const foreign = (await createEmoji(other.owner, other.serverId, 'foreign')).body;
    const msg = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: owner.token,
      body: { content: 'react to me' },
    });
    const react = (emoji: string) =>
      api(
        app,
        'PUT',
        `/channels/${channelId}/messages/${msg.body.id}/reactions/${encodeURIComponent(emoji)}/@me`,
        { token: owner.token },
      );
    expect((await react(`mine:${mine.id}`)).status).toBe(204);
    const wrongServer = await react(`foreign:${foreign.id}`);
    expect([wrongServer.status, wrongServer.body.code]).toEqual([404, 'unknown_emoji']);
    const unknown = await react(`ghost:${app.rt.snowflake.next()}`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_emoji']);
    expect((await react('👍')).status).toBe(204);
  });

  it('<:name:id> renders as an image only for an emoji of the server', async () => {
    const { owner, serverId, channelId } = await world();
    const other = await world();
    const mine = (await createEmoji(owner, serverId, 'mine')).body;
    const foreign = (await createEmoji(other.owner, other.serverId, 'foreign')).body;
    const sent = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: owner.token,
      body: { content: `hi <:mine:${mine.id}> and <:foreign:${foreign.id}>` },
    });
    expect(sent.status).toBe(200);
    const html = sent.body.content_html as string;
    // content_html is stored: its images keep the bare path (no public_url here), never the
    // listening address; the emoji object's own url is absolute.
    const path = (url: string) => new URL(url).pathname;
    expect(html).toContain(`<img class="emoji" alt=":mine:" src="${path(mine.url)}"`);
    expect(html).not.toContain(path(foreign.url));
    expect(html).toContain(':foreign:');
  });
});
