import { createHash } from 'node:crypto';
import { SecretBox } from '../../../shared/auth/secret-box.js';
import { webhookTokenBox } from '../../../shared/domain/webhooks/token.js';
import type { DispatchFrame } from '../../../shared/events/index.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import { api, type TestUser } from '../../helpers/accounts.js';
import { png, sendForm } from '../../helpers/media.js';
import { useTestApp } from '../../helpers/app.js';
import {
  Permission,
  addChannel,
  as,
  denyIn,
  useGateways,
  makeWorld,
  member,
  memberWith,
  person,
  type World,
} from '../messages/pipeline-helpers.js';

const app = useTestApp();
const gw = useGateways(app);

/** Executes a webhook without user auth. */
const execute = (id: string, token: string, body: unknown, wait = false) =>
  api(app, 'POST', `/webhooks/${id}/${token}${wait ? '?wait=true' : ''}`, { body });

async function makeWebhook(w: World, name = 'Deploy bot') {
  const res = await as(app, w.owner, 'POST', `/channels/${w.channelId}/webhooks`, { name });
  expect(res.status).toBe(201);
  return res.body as { id: string; token: string; url: string; channel_id: string };
}

describe('managing incoming webhooks', () => {
  it('creates (token stored hashed and sealed), lists with tokens, edits, moves, deletes; audited', async () => {
    const w = await makeWorld(app);
    const created = await as(app, w.owner, 'POST', `/channels/${w.channelId}/webhooks`, {
      name: 'CI',
      avatar_url: 'https://example.com/ci.png',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      server_id: w.serverId,
      channel_id: w.channelId,
      creator_id: w.owner.id,
      name: 'CI',
      avatar_url: 'https://example.com/ci.png',
      created_at: expect.any(Number),
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/),
      url: expect.stringContaining(`/api/v1/webhooks/${created.body.id}/${created.body.token}`),
    });
    const stored = await app.rt.models.Webhook.findByPk(created.body.id);
    // Only the SHA-256 of the token is kept.
    expect(stored?.token_hash.equals(createHash('sha256').update(created.body.token).digest())).toBe(true);

    const byChannel = await as(app, w.owner, 'GET', `/channels/${w.channelId}/webhooks`);
    expect(byChannel.status).toBe(200);
    // Listed as created, token and url included (API.md: `{id, token, url}`).
    expect(byChannel.body).toEqual([created.body]);
    const byServer = await as(app, w.owner, 'GET', `/servers/${w.serverId}/webhooks`);
    expect(byServer.body).toEqual([created.body]);

    const other = await addChannel(app, w, 'alerts');
    const edited = await as(app, w.owner, 'PATCH', `/webhooks/${created.body.id}`, {
      name: 'CI 2',
      avatar_url: null,
      channel_id: other,
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: 'CI 2', avatar_url: null, channel_id: other });
    expect(edited.body).not.toHaveProperty('token');

    expect((await as(app, w.owner, 'DELETE', `/webhooks/${created.body.id}`)).status).toBe(204);
    expect((await as(app, w.owner, 'GET', `/servers/${w.serverId}/webhooks`)).body).toEqual([]);

    const log = await as(app, w.owner, 'GET', `/servers/${w.serverId}/audit-logs`);
    const entries = (log.body as { action: string; target_id: string; changes: unknown[] }[]).filter(
      (e) => e.target_id === created.body.id,
    );
    expect(entries.map((e) => e.action)).toEqual(['webhook_delete', 'webhook_update', 'webhook_create']);
    expect(entries[1]?.changes).toEqual(
      expect.arrayContaining([
        { key: 'name', old: 'CI', new: 'CI 2' },
        { key: 'channel_id', old: w.channelId, new: other },
      ]),
    );
    expect(JSON.stringify(log.body)).not.toContain(created.body.token);
  });

  it('holds at most webhooks.max_incoming_per_channel (15) per channel, created at once or moved in', async () => {
    const w = await makeWorld(app);
    const limit = app.config.webhooks.max_incoming_per_channel;
    expect(limit).toBe(15);
    // All at once: the channel row's lock lets exactly `limit` of them in.
    const attempts = await Promise.all(
      Array.from({ length: limit + 5 }, (_, i) =>
        as(app, w.owner, 'POST', `/channels/${w.channelId}/webhooks`, { name: `hook ${i}` }),
      ),
    );
    expect(attempts.filter((r) => r.status === 201)).toHaveLength(limit);
    const refused = attempts.filter((r) => r.status !== 201);
    expect(refused.map((r): [number, unknown] => [r.status, r.body.code])).toEqual(
      Array.from({ length: 5 }, () => [400, 'too_many_webhooks']),
    );
    const listed = await as(app, w.owner, 'GET', `/channels/${w.channelId}/webhooks`);
    expect(listed.body).toHaveLength(limit);

    const other = await addChannel(app, w, 'elsewhere');
    const outside = await as(app, w.owner, 'POST', `/channels/${other}/webhooks`, { name: 'outside' });
    expect(outside.status).toBe(201);
    const moved = await as(app, w.owner, 'PATCH', `/webhooks/${outside.body.id}`, {
      channel_id: w.channelId,
    });
    expect([moved.status, moved.body.code]).toEqual([400, 'too_many_webhooks']);
    expect((await as(app, w.owner, 'GET', `/channels/${other}/webhooks`)).body).toHaveLength(1);
    // A place freed is a place taken.
    const first = (listed.body as { id: string }[])[0] as { id: string };
    expect((await as(app, w.owner, 'DELETE', `/webhooks/${first.id}`)).status).toBe(204);
    const now = await as(app, w.owner, 'PATCH', `/webhooks/${outside.body.id}`, { channel_id: w.channelId });
    expect(now.status).toBe(200);
  });

  it('needs MANAGE_WEBHOOKS (403 naming it); strangers and non-managers get 404 for webhooks', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w);
    const plain = await member(app, w.serverId);
    const stranger = await person(app);

    const denied = await as(app, plain, 'POST', `/channels/${w.channelId}/webhooks`, { name: 'x' });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'missing_permission', permission: 'MANAGE_WEBHOOKS' });
    expect((await as(app, plain, 'GET', `/channels/${w.channelId}/webhooks`)).status).toBe(403);
    expect((await as(app, plain, 'GET', `/servers/${w.serverId}/webhooks`)).body).toMatchObject({
      permission: 'MANAGE_WEBHOOKS',
    });
    expect((await as(app, stranger, 'GET', `/channels/${w.channelId}/webhooks`)).status).toBe(404);
    expect((await as(app, stranger, 'POST', `/channels/${w.channelId}/webhooks`, { name: 'x' })).status).toBe(
      404,
    );
    for (const who of [plain, stranger]) {
      const patch = await as(app, who, 'PATCH', `/webhooks/${hook.id}`, { name: 'pwned' });
      expect(patch.status).toBe(404);
      expect(patch.body.code).toBe('unknown_webhook');
      expect((await as(app, who, 'DELETE', `/webhooks/${hook.id}`)).status).toBe(404);
      expect((await as(app, who, 'POST', `/webhooks/${hook.id}/token`)).status).toBe(404);
    }

    // A manager may move a webhook only into a channel where they also manage webhooks.
    const manager = await memberWith(app, w, Permission.MANAGE_WEBHOOKS);
    const locked = await addChannel(app, w, 'locked');
    await denyIn(app, w, locked, manager, Permission.MANAGE_WEBHOOKS);
    const move = await as(app, manager, 'PATCH', `/webhooks/${hook.id}`, { channel_id: locked });
    expect(move.status).toBe(403);
    expect(move.body.permission).toBe('MANAGE_WEBHOOKS');
    expect((await as(app, manager, 'PATCH', `/webhooks/${hook.id}`, { name: 'Renamed' })).status).toBe(200);
  });

  it('an incoming webhook’s delivery log (API.md: outgoing deliveries) is an empty list to its managers', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w);
    expect(await execute(hook.id, hook.token, { content: 'incoming, not outgoing' }, true)).toMatchObject({
      status: 200,
    });
    const log = await as(app, w.owner, 'GET', `/webhooks/${hook.id}/deliveries`);
    expect([log.status, log.body]).toEqual([200, []]);
    const manager = await memberWith(app, w, Permission.MANAGE_WEBHOOKS);
    expect((await as(app, manager, 'GET', `/webhooks/${hook.id}/deliveries?limit=5`)).body).toEqual([]);
    // Still only to those who may manage it.
    const bystander = await member(app, w.serverId);
    const refused = await as(app, bystander, 'GET', `/webhooks/${hook.id}/deliveries`);
    expect([refused.status, refused.body.code]).toEqual([404, 'unknown_webhook']);
  });

  it('a manager denied VIEW_CHANNEL somewhere learns nothing of that channel’s webhooks, and no token ever', async () => {
    const w = await makeWorld(app);
    const staff = await addChannel(app, w, 'staff');
    const hidden = await as(app, w.owner, 'POST', `/channels/${staff}/webhooks`, { name: 'Staff feed' });
    expect(hidden.status).toBe(201);
    const visible = await makeWebhook(w);
    const manager = await memberWith(app, w, Permission.MANAGE_WEBHOOKS);
    await denyIn(app, w, staff, manager, Permission.VIEW_CHANNEL);

    expect((await as(app, manager, 'GET', `/channels/${staff}/webhooks`)).status).toBe(404);
    const listed = await as(app, manager, 'GET', `/servers/${w.serverId}/webhooks`);
    expect((listed.body as { id: string }[]).map((h) => h.id)).toEqual([visible.id]);
    for (const [method, path, body] of [
      ['PATCH', `/webhooks/${hidden.body.id}`, { name: 'mine now' }],
      ['PATCH', `/webhooks/${hidden.body.id}`, { channel_id: w.channelId }],
      ['DELETE', `/webhooks/${hidden.body.id}`],
      ['POST', `/webhooks/${hidden.body.id}/token`],
      ['GET', `/webhooks/${hidden.body.id}/deliveries`],
    ] as const) {
      const res = await as(app, manager, method, path, body);
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 404, 'unknown_webhook']);
    }
    // Nor can they move a webhook into the hidden channel.
    const move = await as(app, manager, 'PATCH', `/webhooks/${visible.id}`, { channel_id: staff });
    expect(move.status).toBe(404);
    expect(move.body.code).toBe('unknown_channel');
    // The manager's list shows only the token they may manage; the audit log shows none.
    expect((listed.body as { token: string }[]).map((h) => h.token)).toEqual([visible.token]);
    const everything = JSON.stringify([
      listed.body,
      (await as(app, manager, 'GET', `/channels/${w.channelId}/webhooks`)).body,
      (await as(app, w.owner, 'GET', `/servers/${w.serverId}/audit-logs`)).body,
    ]);
    expect(everything).not.toContain(hidden.body.token as string);
    expect(
      JSON.stringify((await as(app, w.owner, 'GET', `/servers/${w.serverId}/audit-logs`)).body),
    ).not.toContain(visible.token);
    // The hidden webhook still works for whoever holds its URL.
    expect((await execute(hidden.body.id, hidden.body.token, { content: 'still here' })).status).toBe(204);
  });

  it('lists each token and url as POST answered them; the listed url executes; regenerating relists', async () => {
    const w = await makeWorld(app);
    const first = await makeWebhook(w, 'First');
    const second = await makeWebhook(w, 'Second');
    const tokensOf = (body: unknown) =>
      (body as { id: string; token: string; url: string }[]).map((h) => [h.id, h.token, h.url]);
    const expected = [first, second].map((h) => [h.id, h.token, h.url]);
    expect(tokensOf((await as(app, w.owner, 'GET', `/channels/${w.channelId}/webhooks`)).body)).toEqual(
      expected,
    );
    expect(tokensOf((await as(app, w.owner, 'GET', `/servers/${w.serverId}/webhooks`)).body)).toEqual(
      expected,
    );
    // A manager other than the creator sees them too (Discord lists tokens to MANAGE_WEBHOOKS).
    const manager = await memberWith(app, w, Permission.MANAGE_WEBHOOKS);
    const byManager = await as(app, manager, 'GET', `/channels/${w.channelId}/webhooks`);
    expect(tokensOf(byManager.body)).toEqual(expected);

    // The listed url, as it is (absolute: the listening address without server.public_url), executes it.
    const listedUrl = (byManager.body as { url: string }[])[0]?.url as string;
    expect(listedUrl.startsWith(`${app.origin}/api/v1/webhooks/`)).toBe(true);
    const run = await fetch(`${listedUrl}?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'from the listed url' }),
    });
    expect(run.status).toBe(200);
    expect(((await run.json()) as { webhook_id: string }).webhook_id).toBe(first.id);

    // Regenerating replaces the listed token; the old one is dead.
    const fresh = await as(app, manager, 'POST', `/webhooks/${first.id}/token`);
    expect(fresh.status).toBe(200);
    const after = await as(app, w.owner, 'GET', `/channels/${w.channelId}/webhooks`);
    expect(tokensOf(after.body)).toEqual([
      [first.id, fresh.body.token, fresh.body.url],
      [second.id, second.token, second.url],
    ]);
    expect(JSON.stringify(after.body)).not.toContain(first.token);
    expect((await execute(first.id, first.token, { content: 'old' })).status).toBe(404);
    expect((await execute(first.id, fresh.body.token, { content: 'new' })).status).toBe(204);

    // Without MANAGE_WEBHOOKS: still 403, and not a token in the answer.
    const plain = await member(app, w.serverId);
    for (const path of [`/channels/${w.channelId}/webhooks`, `/servers/${w.serverId}/webhooks`]) {
      const denied = await as(app, plain, 'GET', path);
      expect([path, denied.status, denied.body.permission]).toEqual([path, 403, 'MANAGE_WEBHOOKS']);
      for (const token of [fresh.body.token as string, second.token]) {
        expect(JSON.stringify(denied.body)).not.toContain(token);
      }
    }
  });

  it('keeps no plaintext token in the row: a hash and a copy sealed under a key derived for webhook tokens', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w);
    const fresh = (await as(app, w.owner, 'POST', `/webhooks/${hook.id}/token`)).body as { token: string };
    // The whole row as Postgres prints it (bytea as hex), and as the driver reads it.
    const [rows] = await app.rt.sequelize.query(`SELECT w::text AS text, w.* FROM webhooks w WHERE id = $1`, {
      bind: [hook.id],
    });
    const row = rows[0] as { text: string; sealed_token: string };
    for (const token of [hook.token, fresh.token]) {
      expect(row.text).not.toContain(token);
      expect(JSON.stringify(row)).not.toContain(token);
      expect(row.text).not.toContain(Buffer.from(token).toString('hex'));
    }
    expect(row.sealed_token).toMatch(/^v1\./);
    expect(webhookTokenBox(app.rt.config).open(row.sealed_token)).toBe(fresh.token);
    // Not the raw instance key that TOTP secrets use: a sealed token opens for this purpose only.
    expect(() => SecretBox.fromConfig(app.rt.config).open(row.sealed_token)).toThrow();
  });

  it('a webhook from before sealed tokens lists null token and url until its token is regenerated', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w);
    // As migration 0028 leaves a webhook created before it: the hash only.
    await app.rt.sequelize.query(`UPDATE webhooks SET sealed_token = NULL WHERE id = $1`, {
      bind: [hook.id],
    });
    const { token: _token, url: _url, ...rest } = hook;
    const listed = await as(app, w.owner, 'GET', `/channels/${w.channelId}/webhooks`);
    expect(listed.body).toEqual([{ ...rest, token: null, url: null }]);
    expect((await as(app, w.owner, 'GET', `/servers/${w.serverId}/webhooks`)).body).toEqual(listed.body);
    // It still executes with the token its owner kept.
    expect((await execute(hook.id, hook.token, { content: 'legacy' })).status).toBe(204);

    // A sealed copy that is not the token the hash verifies is never listed either.
    const stray = webhookTokenBox(app.rt.config).seal('not-the-token');
    await app.rt.sequelize.query(`UPDATE webhooks SET sealed_token = $2 WHERE id = $1`, {
      bind: [hook.id, stray],
    });
    expect((await as(app, w.owner, 'GET', `/channels/${w.channelId}/webhooks`)).body).toEqual(listed.body);

    const fresh = await as(app, w.owner, 'POST', `/webhooks/${hook.id}/token`);
    const relisted = await as(app, w.owner, 'GET', `/channels/${w.channelId}/webhooks`);
    expect(relisted.body).toEqual([fresh.body]);
  });

  it('validates names (1-80, no impersonation) and channel types', async () => {
    const w = await makeWorld(app);
    for (const name of ['', 'x'.repeat(81), 'Plexichat Support', 'System']) {
      const res = await as(app, w.owner, 'POST', `/channels/${w.channelId}/webhooks`, { name });
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveProperty('name');
    }
    const bad = await as(app, w.owner, 'POST', `/channels/${w.channelId}/webhooks`, {
      name: 'ok',
      avatar_url: 'javascript:alert(1)',
    });
    expect(bad.body.errors).toHaveProperty('avatar_url');
    const voice = await as(app, w.owner, 'POST', `/servers/${w.serverId}/channels`, {
      name: 'Lounge',
      channel_type: 'voice',
    });
    expect(voice.status).toBe(201);
    const inVoice = await as(app, w.owner, 'POST', `/channels/${voice.body.id}/webhooks`, { name: 'x' });
    expect(inVoice.status).toBe(400);
    expect(inVoice.body.errors).toHaveProperty('channel_id');
  });
});

describe('executing incoming webhooks', () => {
  it('?wait=true answers with the stored message under the webhook’s name; MESSAGE_CREATE carries webhook_id', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w, 'Deploy bot');
    const watcher = await gw.connect(w.owner);

    const res = await execute(
      hook.id,
      hook.token,
      {
        content: 'deployed v1.2',
        username: 'Release train',
        embeds: [{ title: 'v1.2', color: 0x00ff00, fields: [{ name: 'env', value: 'prod' }] }],
      },
      true,
    );
    expect(res.status).toBe(200);
    const message = res.body as MessageObject;
    expect(message).toMatchObject({
      channel_id: w.channelId,
      content: 'deployed v1.2',
      webhook_id: hook.id,
      author: { id: hook.id, username: 'Release train', avatar_url: null, bot: true },
      embeds: [
        {
          type: 'rich',
          title: 'v1.2',
          color: 0x00ff00,
          fields: [{ name: 'env', value: 'prod', inline: false }],
        },
      ],
    });
    expect(res.headers.get('x-ratelimit-limit')).toBe('30');

    const [frame] = await watcher.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && (f as DispatchFrame<'MESSAGE_CREATE'>).d.id === message.id,
    );
    expect((frame as DispatchFrame<'MESSAGE_CREATE'>).d).toMatchObject({
      webhook_id: hook.id,
      author: message.author,
    });

    // History shows it the same way; the creator it is stored under cannot edit it.
    const history = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages`);
    expect(history.body[0]).toMatchObject({
      id: message.id,
      webhook_id: hook.id,
      author: { username: 'Release train' },
    });
    const edit = await as(app, w.owner, 'PATCH', `/channels/${w.channelId}/messages/${message.id}`, {
      content: 'forged',
    });
    expect(edit.status).toBe(403);
  });

  it('without wait answers 204 once queued; the message arrives over the gateway', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w, 'Cron');
    const watcher = await gw.connect(w.owner);
    const res = await execute(hook.id, hook.token, { content: 'nightly ok' });
    expect(res.status).toBe(204);
    const [frame] = await watcher.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && (f as DispatchFrame<'MESSAGE_CREATE'>).d.content === 'nightly ok',
    );
    expect((frame as DispatchFrame<'MESSAGE_CREATE'>).d).toMatchObject({
      webhook_id: hook.id,
      author: { id: hook.id, username: 'Cron', bot: true },
    });
  });

  it('multipart: payload_json plus files; only the files sent are attached; a bad file keeps nothing', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w);
    const noAuth = { headers: {} } as TestUser;
    const res = await sendForm(app, 'POST', `/webhooks/${hook.id}/${hook.token}?wait=true`, noAuth, [
      { field: 'payload_json', value: JSON.stringify({ content: 'build artifacts', username: 'CI' }) },
      { filename: 'report.png', type: 'image/png', data: await png() },
    ]);
    expect(res.status).toBe(200);
    const message = res.body as MessageObject;
    expect([message.webhook_id, message.content]).toEqual([hook.id, 'build artifacts']);
    expect(message.attachments.map((a) => [a.filename, a.content_type])).toEqual([
      ['report.png', 'image/png'],
    ]);

    // Files alone are enough; an executable is refused and nothing is kept.
    const before = await app.rt.models.Attachment.count();
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
    const refused = await sendForm(app, 'POST', `/webhooks/${hook.id}/${hook.token}`, noAuth, [
      { filename: 'ok.png', type: 'image/png', data: await png() },
      { filename: 'tool.bin', type: 'application/octet-stream', data: elf },
    ]);
    expect(refused.status).toBe(415);
    expect(await app.rt.models.Attachment.count()).toBe(before);
    const filesOnly = await sendForm(app, 'POST', `/webhooks/${hook.id}/${hook.token}?wait=true`, noAuth, [
      { filename: 'only.png', type: 'image/png', data: await png() },
    ]);
    expect([filesOnly.status, filesOnly.body.content, filesOnly.body.attachments.length]).toEqual([
      200,
      '',
      1,
    ]);
    // A wrong token reads no file at all.
    const wrong = await sendForm(app, 'POST', `/webhooks/${hook.id}/${'x'.repeat(43)}`, noAuth, [
      { filename: 'x.png', type: 'image/png', data: await png() },
    ]);
    expect(wrong.status).toBe(404);
  });

  it('a webhook message that mentions the webhook’s creator notifies them', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w);
    const sent = await execute(hook.id, hook.token, { content: `<@${w.owner.id}> deploy finished` }, true);
    expect(sent.status).toBe(200);
    const inbox = await as(app, w.owner, 'GET', '/users/@me/notifications');
    expect((inbox.body as { message_id: string; type: string }[]).map((n) => [n.type, n.message_id])).toEqual(
      [['mention', sent.body.id]],
    );
  });

  it('a wrong token, an unknown and a deleted webhook are the same 404', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w);
    const wrong = await execute(hook.id, 'A'.repeat(43), { content: 'hi' });
    expect(wrong.status).toBe(404);
    expect(wrong.body.code).toBe('unknown_webhook');
    const unknown = await execute(app.rt.snowflake.next(), hook.token, { content: 'hi' });
    expect(unknown.body).toEqual(wrong.body);
    await as(app, w.owner, 'DELETE', `/webhooks/${hook.id}`);
    const deleted = await execute(hook.id, hook.token, { content: 'hi' });
    expect(deleted.status).toBe(404);
    expect(deleted.body).toEqual(wrong.body);
  });

  it('validates the body: content size, content or embeds, embed fields', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w);
    const long = await execute(hook.id, hook.token, { content: 'x'.repeat(4001) });
    expect(long.status).toBe(400);
    expect(long.body.errors).toHaveProperty('content');
    const empty = await execute(hook.id, hook.token, { username: 'someone' });
    expect([empty.status, empty.body.errors]).toEqual([400, { content: 'content or embeds is required' }]);
    // An empty embeds list is no embed: nothing to post (it was queued as an empty message).
    const noEmbeds = await execute(hook.id, hook.token, { embeds: [] }, true);
    expect([noEmbeds.status, Object.keys(noEmbeds.body.errors)]).toEqual([400, ['content']]);
    const embedOnly = await execute(hook.id, hook.token, { embeds: [{ title: 'only an embed' }] }, true);
    expect([embedOnly.status, embedOnly.body.content]).toEqual([200, '']);
    const badColor = await execute(hook.id, hook.token, { embeds: [{ title: 'a', color: 0x1000000 }] });
    expect(badColor.status).toBe(400);
    expect(badColor.body.errors).toHaveProperty(['embeds.0.color']);
    const badField = await execute(hook.id, hook.token, {
      embeds: [{ title: 'ok' }, { fields: [{ name: 'n', value: 'v'.repeat(1025) }] }],
    });
    expect(badField.body.errors).toHaveProperty(['embeds.1.fields.0.value']);
    const tooMany = await execute(hook.id, hook.token, {
      embeds: Array.from({ length: 11 }, () => ({ title: 't' })),
    });
    expect(tooMany.body.errors).toHaveProperty('embeds');
    const impostor = await execute(hook.id, hook.token, { content: 'hi', username: 'Plexichat Staff' });
    expect(impostor.body.errors).toHaveProperty('username');
  });

  it('rate limits each webhook (429 with retry_after)', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w);
    for (let i = 0; i < 30; i++) {
      expect((await execute(hook.id, hook.token, { content: `n${i}` })).status).toBe(204);
    }
    const limited = await execute(hook.id, hook.token, { content: 'one too many' });
    expect(limited.status).toBe(429);
    expect(limited.body.retry_after).toBeGreaterThan(0);
    expect(limited.headers.get('retry-after')).toBeTruthy();
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    // Another webhook has its own budget.
    const second = await makeWebhook(w, 'Other');
    expect((await execute(second.id, second.token, { content: 'fine' })).status).toBe(204);
  });

  it('regenerating the token invalidates the old one', async () => {
    const w = await makeWorld(app);
    const hook = await makeWebhook(w);
    const fresh = await as(app, w.owner, 'POST', `/webhooks/${hook.id}/token`);
    expect(fresh.status).toBe(200);
    expect(fresh.body.token).not.toBe(hook.token);
    expect(fresh.body.url).toContain(fresh.body.token);
    expect((await execute(hook.id, hook.token, { content: 'old' })).status).toBe(404);
    expect((await execute(hook.id, fresh.body.token, { content: 'new' }, true)).status).toBe(200);
  });
});

describe('documentation', () => {
  it('documents the webhook routes in the OpenAPI document', async () => {
    const res = await fetch(`${app.api}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, { description?: string }>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/channels/{channel_id}/webhooks',
        '/servers/{server_id}/webhooks',
        '/webhooks/{webhook_id}',
        '/webhooks/{webhook_id}/token',
        '/webhooks/{webhook_id}/{token}',
      ]),
    );
    expect(doc.paths['/webhooks/{webhook_id}/{token}']?.post?.description).toContain('unknown_webhook');
  });
});
