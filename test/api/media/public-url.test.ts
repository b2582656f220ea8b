import { api, registerUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import { png, sendForm } from '../../helpers/media.js';
import { makeServer } from '../servers/helpers.js';

/** What clients reach this instance at (a proxy in front); nothing here is fetched from it. */
const PUBLIC = 'https://chat.example/';

const app = useTestApp(() => ({ config: testConfig({ server: { public_url: PUBLIC } }) }));

/** A handed-out URL is under public_url; its path serves the file on the listening address. */
async function expectPublic(url: unknown, path: RegExp): Promise<void> {
  expect(url).toEqual(expect.stringMatching(/^https:\/\/chat\.example\/api\/v1\/media\//));
  const { pathname } = new URL(url as string);
  expect(pathname).toMatch(path);
  const res = await fetch(`${app.origin}${pathname}`);
  await res.arrayBuffer();
  expect(res.status).toBe(200);
}

describe('with server.public_url set, handed-out URLs use it', () => {
  it('attachments (answer, message, history), emoji, avatars and icons', async () => {
    const owner = await registerUser(app);
    const { serverId, generalId } = await makeServer(app, owner);

    const file = await sendForm(app, 'POST', '/attachments', owner, [
      { filename: 'a.png', type: 'image/png', data: await png(20, 20) },
    ]);
    expect(file.status).toBe(201);
    await expectPublic(file.body.url, /^\/api\/v1\/media\/attachments\//);
    const sent = await api(app, 'POST', `/channels/${generalId}/messages`, {
      token: owner.token,
      body: { attachments: [file.body.id] },
    });
    expect(sent.body.attachments[0].url).toBe(file.body.url);
    const history = await api(app, 'GET', `/channels/${generalId}/messages?limit=1`, { token: owner.token });
    expect(history.body[0].attachments[0].url).toBe(file.body.url);

    const emoji = await sendForm(app, 'POST', `/servers/${serverId}/emojis`, owner, [
      { field: 'name', value: 'wave' },
      { name: 'image', filename: 'e.png', type: 'image/png', data: await png(32, 32) },
    ]);
    expect(emoji.status).toBe(201);
    await expectPublic(emoji.body.url, /^\/api\/v1\/media\/emojis\//);
    await expectPublic(emoji.body.fallback_url, /^\/api\/v1\/media\/emojis\//);

    const avatar = await sendForm(app, 'PATCH', '/users/@me/avatar', owner, [
      { name: 'image', filename: 'me.png', type: 'image/png', data: await png(64, 64) },
    ]);
    expect(avatar.status).toBe(200);
    const me = await api(app, 'GET', '/users/@me', { token: owner.token });
    await expectPublic(me.body.avatar_url, new RegExp(`^/api/v1/media/avatars/${owner.id}/`));
    // Stored as before: under public_url, which does not change with the listening port.
    const row = await app.rt.models.User.findByPk(owner.id, { rejectOnEmpty: true });
    expect(row.avatar_url).toBe(me.body.avatar_url);

    const icon = await sendForm(app, 'PATCH', `/servers/${serverId}/icon`, owner, [
      { name: 'image', filename: 'i.png', type: 'image/png', data: await png(64, 64) },
    ]);
    expect(icon.status).toBe(200);
    await expectPublic(icon.body.icon_url, new RegExp(`^/api/v1/media/icons/${serverId}/`));
  });
});
