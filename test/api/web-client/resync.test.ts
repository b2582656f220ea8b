import type { Browser } from 'playwright-core';
import { api, registerUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { launchChromium } from '../../helpers/browser.js';
import { testConfig } from '../../helpers/config.js';
import { ensureWebClientBuilt, openClient, signInThroughForm } from '../../helpers/web-client.js';

/** The smallest replay buffer: a drop that misses more events than this cannot be resumed. */
const BUFFER = 10;

let browser: Browser;

beforeAll(() => ensureWebClientBuilt(), 120_000);
const app = useTestApp({ config: testConfig({ gateway: { resume_buffer_size: BUFFER } }) }, 120_000);
beforeAll(async () => {
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

it('refetches the history when a drop cannot be resumed (INVALID_SESSION): nothing is lost', async () => {
  const alice = await registerUser(app);
  const bob = await registerUser(app);
  const server = await api(app, 'POST', '/servers', { token: alice.token, body: { name: 'Resync' } });
  const channels = await api(app, 'GET', `/servers/${server.body.id}/channels`, { token: alice.token });
  const general = (channels.body as { id: string; name: string }[]).find((c) => c.name === 'general');
  const invite = await api(app, 'POST', `/channels/${general?.id}/invites`, { token: alice.token, body: {} });
  expect((await api(app, 'POST', `/invites/${invite.body.code}`, { token: bob.token })).status).toBe(200);

  const b = await openClient(browser, app, `/app/channels/${server.body.id}/${general?.id}`);
  try {
    await signInThroughForm(b.page, bob);
    await b.composer('general').waitFor();
    // What the server answers the resume with, seen on the wire.
    const answers: string[] = [];
    b.page.on('websocket', (ws) =>
      ws.on('framereceived', (f) => {
        const t = /"t":"(INVALID_SESSION|RESUMED)"/.exec(typeof f.payload === 'string' ? f.payload : '');
        if (t?.[1]) answers.push(t[1]);
      }),
    );
    await b.context.setOffline(true);
    await b.page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    const missed = Array.from({ length: BUFFER + 5 }, (_, i) => `missed while away ${i + 1}`);
    for (const content of missed) {
      const sent = await api(app, 'POST', `/channels/${general?.id}/messages`, {
        token: alice.token,
        body: { content },
      });
      expect([200, 201, 202]).toContain(sent.status);
    }
    await b.context.setOffline(false);
    for (const content of missed) await b.message(new RegExp(`${content}(?!\\d)`)).waitFor();
    expect(answers).toEqual(['INVALID_SESSION']);
    const texts = await b.messages().getByRole('listitem').allTextContents();
    expect(texts.filter((t) => t.includes('missed while away'))).toHaveLength(missed.length);
  } finally {
    await b.close();
  }
});
