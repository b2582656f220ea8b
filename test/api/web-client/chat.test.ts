import crypto from 'node:crypto';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { api, enableMfa, registerUser, totpCode, type TestUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { launchChromium } from '../../helpers/browser.js';
import { testConfig } from '../../helpers/config.js';
import {
  createServerThroughDialog,
  ensureWebClientBuilt,
  inviteLinkThroughDialog,
  openClient,
  signInThroughForm,
  signedInClient,
  waitForPageTrue,
  type ClientUser,
} from '../../helpers/web-client.js';

let browser: Browser;

beforeAll(() => ensureWebClientBuilt(), 120_000);
// No typing throttle: a typing indicator right after a message is sent, whatever the pace of the test.
const app = useTestApp({ config: testConfig({ gateway: { typing_throttle_seconds: 0 } }) }, 120_000);
beforeAll(async () => {
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** `who` signed in at the web client, at `at`. */
const signedIn = (who: TestUser, at = '/app/'): Promise<ClientUser> => signedInClient(browser, app, who, at);

describe('the web client in Chromium', () => {
  let alice: TestUser;
  let bob: TestUser;
  let a: ClientUser;
  let b: ClientUser;
  let serverId: string;

  beforeAll(async () => {
    alice = await registerUser(app);
    bob = await registerUser(app);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('creates an account through the form and lands in an empty chat', async () => {
    const client = await openClient(browser, app);
    try {
      const username = `web_${crypto.randomBytes(4).toString('hex')}`;
      await client.page.getByRole('textbox', { name: 'Username' }).fill(username);
      await client.page.getByLabel('Password').fill('a web client passphrase');
      await client.page.getByRole('button', { name: 'Create account' }).click();
      await client.page.getByRole('button', { name: 'Create server' }).waitFor();
      const login = await api(app, 'POST', '/auth/login', {
        body: { login: username, password: 'a web client passphrase' },
      });
      expect(login.status).toBe(200);
      expect(client.errors).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('asks for the 2FA code when the login needs one, and refuses a wrong one', async () => {
    const carol = await registerUser(app);
    const { secret } = await enableMfa(app, carol);
    const client = await signedIn(carol);
    try {
      const code = client.page.getByRole('textbox', { name: 'Two-factor code' });
      await code.fill('000000');
      await client.page.getByRole('button', { name: 'Verify' }).click();
      await client.page.getByRole('alert').waitFor();
      // The code used to confirm is spent: the next period's code (within the drift window) works.
      await code.fill(await totpCode(secret, 1));
      await client.page.getByRole('button', { name: 'Verify' }).click();
      await client.page.getByRole('button', { name: 'Create server' }).waitFor();
    } finally {
      await client.close();
    }
  });

  it('creates a server: its #general is listed and open', async () => {
    a = await signedIn(alice);
    await createServerThroughDialog(a, 'Web client test');
    const servers = await api(app, 'GET', '/users/@me/servers', { token: alice.token });
    const created = (servers.body as { id: string; name: string }[]).find(
      (s) => s.name === 'Web client test',
    );
    expect(created).toBeDefined();
    serverId = created?.id ?? '';
    expect(a.page.url()).toContain(`/app/channels/${serverId}/`);
  });

  it('joins a second user through the invite link', async () => {
    const link = await inviteLinkThroughDialog(a.page);
    expect(link).toMatch(new RegExp(`^${app.origin}/app/invite/[A-Za-z0-9]+$`));
    // Opened signed out: the sign-in comes first, then the join.
    b = await openClient(browser, app, new URL(link).pathname);
    await signInThroughForm(b.page, bob);
    await b.composer('general').waitFor();
    const member = await api(app, 'GET', `/servers/${serverId}/members/${bob.id}`, { token: alice.token });
    expect(member.status).toBe(200);
  });

  it('carries messages both ways in real time, rendered from content_html', async () => {
    await a.send('general', 'hello **bob**');
    const fromAlice = b.message('hello bob');
    await fromAlice.waitFor();
    expect(await fromAlice.locator('strong', { hasText: 'bob' }).count()).toBe(1);
    expect(await fromAlice.textContent()).toContain(alice.username);
    await b.send('general', 'hi alice, <b>not bold</b>');
    const fromBob = a.message('hi alice, <b>not bold</b>');
    await fromBob.waitFor();
    // Markup typed as text stays text: only the server's rendering is inserted as HTML.
    expect(await fromBob.locator('.content b').count()).toBe(0);
  });

  it('shows edits and deletes made elsewhere as they happen', async () => {
    const channels = await api(app, 'GET', `/servers/${serverId}/channels`, { token: alice.token });
    const general = (channels.body as { id: string; name: string }[]).find((c) => c.name === 'general');
    const sent = await api(app, 'POST', `/channels/${general?.id}/messages`, {
      token: alice.token,
      body: { content: 'a typo here' },
    });
    await b.message('a typo here').waitFor();
    await api(app, 'PATCH', `/channels/${general?.id}/messages/${sent.body.id}`, {
      token: alice.token,
      body: { content: 'fixed now' },
    });
    await b.message('fixed now').waitFor();
    expect(await b.message('a typo here').count()).toBe(0);
    await api(app, 'DELETE', `/channels/${general?.id}/messages/${sent.body.id}`, { token: alice.token });
    await b.message('fixed now').waitFor({ state: 'detached' });
  });

  it('replies, reacts, edits and deletes through the buttons of a message', async () => {
    await b.send('general', 'who brings snacks?');
    const question = a.message('who brings snacks?').filter({ hasNotText: 'Replying to' });
    await question.getByRole('button', { name: 'Reply' }).click();
    await a.send('general', 'I will');
    const answer = b.message('I will');
    await answer.waitFor();
    expect(await answer.textContent()).toContain('Replying to');
    expect(await answer.textContent()).toContain('who brings snacks?');

    await answer.getByRole('button', { name: 'Add reaction' }).click();
    await answer.getByRole('button', { name: 'React with 🎉' }).click();
    const seenByA = a.message('I will').getByRole('button', { name: '🎉 1 reaction' });
    await seenByA.waitFor();
    expect(await seenByA.getAttribute('aria-pressed')).toBe('false');
    await seenByA.click();
    await b.message('I will').getByRole('button', { name: '🎉 2 reactions' }).waitFor();

    await a.message('I will').getByRole('button', { name: 'Edit' }).click();
    const box = a.page.getByRole('textbox', { name: 'Edit message' });
    await box.fill('I will, chips and dip');
    await box.press('Enter');
    await b.message('I will, chips and dip').filter({ hasText: '(edited)' }).waitFor();
    // Only one's own messages offer Edit and Delete.
    const bobs = a.message('who brings snacks?').filter({ hasNotText: 'Replying to' });
    expect(await bobs.getByRole('button', { name: 'Edit' }).count()).toBe(0);

    a.page.once('dialog', (dialog) => void dialog.accept());
    await a.message('I will, chips and dip').getByRole('button', { name: 'Delete' }).click();
    await b.message('I will, chips and dip').waitFor({ state: 'detached' });
  });

  it('shows who is typing, unread and mention badges on other channels, and embeds', async () => {
    await a.composer('general').fill('thinking about it');
    await b.page.getByText(`${alice.username} is typing…`).waitFor();
    await a.composer('general').fill('');

    const created = await api(app, 'POST', `/servers/${serverId}/channels`, {
      token: alice.token,
      body: { name: 'random', channel_type: 'text' },
    });
    expect(created.status).toBe(201);
    const channels = b.page.getByRole('navigation', { name: 'Channels' });
    await channels.getByRole('link', { name: 'random', exact: true }).waitFor();
    const post = (body: object) =>
      api(app, 'POST', `/channels/${created.body.id}/messages`, { token: alice.token, body });
    await post({ content: 'nothing for bob' });
    await channels.getByText('1 unread').waitFor();
    await post({ content: `look <@${bob.id}>` });
    await channels.getByText('1 mention').waitFor();
    await post({
      content: 'the release notes',
      embeds: [
        {
          title: 'Release 1.2',
          description: 'Faster <b>history</b>',
          url: 'https://example.com/releases/1.2',
          fields: [{ name: 'Changes', value: '12' }],
        },
      ],
    });

    await channels.getByRole('link', { name: 'random', exact: true }).click();
    await b.message(`look ${'@'}`).waitFor();
    expect(await channels.getByText(/unread|mention/).count()).toBe(0);
    const embed = b.message('the release notes').getByRole('article', { name: 'Release 1.2' });
    await embed.waitFor();
    expect(await embed.getByRole('link', { name: 'Release 1.2' }).getAttribute('href')).toBe(
      'https://example.com/releases/1.2',
    );
    // Embed text is text: markup in it is not rendered.
    expect(await embed.textContent()).toContain('Faster <b>history</b>');
    await b.page.getByRole('link', { name: 'general', exact: true }).click();
    await b.composer('general').waitFor();
  });

  it('uploads an image with the Upload button and shows its preview in the message', async () => {
    const png = await sharp({
      create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 40, b: 90 } },
    })
      .png()
      .toBuffer();
    await a.composer('general').fill('a red square');
    const chooser = a.page.waitForEvent('filechooser');
    await a.page.getByRole('button', { name: 'Upload' }).click();
    await (await chooser).setFiles({ name: 'square.png', mimeType: 'image/png', buffer: png });
    for (const client of [a, b]) {
      const image = client.message('a red square').getByRole('img', { name: 'square.png' });
      await image.waitFor();
      // Handed out absolute (the listening address); shown on the page's own origin, whatever name it
      // was opened at (the Content-Security-Policy allows images from 'self' only).
      expect(await image.getAttribute('src')).toMatch(/^\/api\/v1\/media\/attachments\//);
      // Loaded, at its real size: the image itself, not a broken-image icon.
      await waitForPageTrue(
        client.page,
        `[...document.querySelectorAll('ol[aria-label="Messages"] img[alt="square.png"]')]
          .some((img) => img.complete && img.naturalWidth === 64)`,
      );
    }
  });

  it('loses nothing across a network drop: what was sent meanwhile appears after it', async () => {
    await b.context.setOffline(true);
    await b.page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    const missed = ['while you were away 1', 'while you were away 2', 'while you were away 3'];
    for (const text of missed) await a.send('general', text);
    await b.context.setOffline(false);
    for (const text of missed) await b.message(text).waitFor();
    // Still live afterwards, both ways.
    await b.send('general', 'back online');
    await a.message('back online').waitFor();
    await a.send('general', 'welcome back');
    await b.message('welcome back').waitFor();
  });

  it('makes friends and talks in a DM, starting from the buttons of a message', async () => {
    await b.message('welcome back').getByRole('button', { name: 'Add friend' }).click();
    await a.page.getByRole('link', { name: 'Direct messages', exact: true }).click();
    const friends = a.page.getByRole('list', { name: 'Friends' });
    await friends.getByText('Wants to be your friend').waitFor();
    await friends.getByRole('button', { name: `Accept ${bob.username}` }).click();
    await friends.getByRole('button', { name: `Message ${bob.username}` }).click();
    await a.send(`@${bob.username}`, 'just between us');

    await b.page.getByRole('link', { name: 'Direct messages', exact: true }).click();
    await b.page.getByRole('list', { name: 'Friends' }).getByText('Friend', { exact: true }).waitFor();
    await b.page.getByRole('link', { name: alice.username, exact: true }).click();
    await b.message('just between us').waitFor();
    await b.send(`@${alice.username}`, 'deal');
    await a.message('deal').waitFor();
    const rel = await api(app, 'GET', '/users/@me/relationships', { token: alice.token });
    expect(rel.body).toContainEqual(expect.objectContaining({ id: bob.id, status: 'friend' }));
  });

  it('loads older history when scrolled to the top (cursor pagination with before)', async () => {
    const channels = await api(app, 'GET', `/servers/${serverId}/channels`, { token: alice.token });
    const general = (channels.body as { id: string; name: string }[]).find((c) => c.name === 'general');
    // 60 more: with what is there, more than one page of 50.
    for (let i = 1; i <= 60; i += 1) {
      const res = await api(app, 'POST', `/channels/${general?.id}/messages`, {
        token: alice.token,
        body: { content: `history ${String(i).padStart(2, '0')}` },
      });
      expect([200, 201, 202]).toContain(res.status);
    }
    // A fresh page shows the newest page only, ending with the last message.
    const c = await signedIn(bob, `/app/channels/${serverId}/${general?.id}`);
    try {
      await c.message('history 60').waitFor();
      expect(await c.message('hello bob').count()).toBe(0);
      await c.page.getByRole('region', { name: 'History of #general' }).evaluate((el) => {
        el.scrollTop = 0;
      });
      await c.message('hello bob').waitFor();
      const texts = await c.messages().getByRole('listitem').allTextContents();
      const order = ['hello bob', 'history 01', 'history 60'].map((t) =>
        texts.findIndex((x) => x.includes(t)),
      );
      expect(order).toEqual([...order].sort((x, y) => x - y));
      expect(new Set(texts).size).toBe(texts.length);
      expect(c.errors).toEqual([]);
    } finally {
      await c.close();
    }
    expect(a.errors).toEqual([]);
  });
});
