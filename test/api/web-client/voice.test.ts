import type { Browser } from 'playwright-core';
import { api } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { fakeMicrophoneFlags, launchChromium } from '../../helpers/browser.js';
import {
  ensureWebClientBuilt,
  joinVoiceThroughPanel,
  seriousViolations,
  voiceEntry,
  twoMembers,
  type TwoMembers,
} from '../../helpers/web-client.js';
import { voiceConfig } from '../../voice/voice-helpers.js';

let browser: Browser;
let w: TwoMembers;

beforeAll(() => ensureWebClientBuilt(), 120_000);
const app = useTestApp({ config: voiceConfig(), voice: true }, 120_000);
beforeAll(async () => {
  browser = await launchChromium(fakeMicrophoneFlags());
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
});

describe('voice channels in the web client', () => {
  it('two users join, each is listed for the other and receives the other one’s microphone', async () => {
    await joinVoiceThroughPanel(w.a.page, 'Lounge');
    await joinVoiceThroughPanel(w.b.page, 'Lounge');
    // "Receiving audio": a consumer of the other one's microphone producer exists and was resumed.
    await voiceEntry(w.a.page, w.bob.username).filter({ hasText: 'Receiving audio' }).waitFor();
    await voiceEntry(w.b.page, w.alice.username).filter({ hasText: 'Receiving audio' }).waitFor();
  });

  it('shows who is speaking (the fake microphone plays a tone; the server reads its audio level)', async () => {
    await voiceEntry(w.a.page, w.bob.username).filter({ hasText: 'Speaking' }).waitFor();
    await voiceEntry(w.b.page, w.alice.username).filter({ hasText: 'Speaking' }).waitFor();
  });

  it('passes axe-core in the voice panel', async () => {
    expect(await seriousViolations(w.a.page)).toEqual([]);
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
