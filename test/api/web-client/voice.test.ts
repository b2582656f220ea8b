import type { Browser } from 'playwright-core';
import { api } from '../../helpers/accounts.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { FAKE_MEDIA_FLAGS, launchChromium } from '../../helpers/browser.js';
import {
  ensureWebClientBuilt,
  joinVoiceThroughPanel,
  voiceEntry,
  twoMembers,
  type TwoMembers,
} from '../../helpers/web-client.js';
import { voiceConfig } from '../../voice/voice-helpers.js';

let app: TestApp;
let browser: Browser;
let w: TwoMembers;

beforeAll(async () => {
  await ensureWebClientBuilt();
  app = await startTestApp({ config: voiceConfig(), voice: true });
  // A granted fake microphone: getUserMedia answers a generated tone without a prompt.
  browser = await launchChromium(FAKE_MEDIA_FLAGS);
  w = await twoMembers(browser, app, 'Voice in the browser');
  const created = await api(app, 'POST', `/servers/${w.serverId}/channels`, {
    token: w.alice.token,
    body: { name: 'Lounge', channel_type: 'voice' },
  });
  expect(created.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await w?.close();
  await browser?.close();
  await app?.close();
});

describe('voice channels in the web client', () => {
  it('two users join, each is listed for the other and receives the other one’s microphone', async () => {
    await joinVoiceThroughPanel(w.a.page, 'Lounge');
    await joinVoiceThroughPanel(w.b.page, 'Lounge');
    // "Receiving audio": a consumer of the other one's microphone producer exists and was resumed.
    await voiceEntry(w.a.page, w.bob.username).filter({ hasText: 'Receiving audio' }).waitFor();
    await voiceEntry(w.b.page, w.alice.username).filter({ hasText: 'Receiving audio' }).waitFor();
  });

  it('mutes: the other side sees it in the voice state', async () => {
    await w.b.page.getByRole('button', { name: 'Mute' }).click();
    await voiceEntry(w.a.page, w.bob.username).filter({ hasText: 'Muted' }).waitFor();
    expect(await w.b.page.getByRole('button', { name: 'Mute' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('leaves: the other side no longer lists them', async () => {
    await w.b.page.getByRole('button', { name: 'Leave' }).click();
    await w.b.page.getByRole('button', { name: 'Join voice' }).waitFor();
    await voiceEntry(w.a.page, w.bob.username).waitFor({ state: 'detached' });
    expect(w.a.errors).toEqual([]);
  });
});
