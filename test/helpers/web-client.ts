import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { WEB_CLIENT_DIR } from '../../api/web-client-page.js';
import { registerUser, type TestUser } from './accounts.js';
import type { TestApp } from './app.js';
import { ROOT, ensureViteBuilt, openPage, type OpenedPage } from './browser.js';

/** Builds the web client (api/web-client) into the folder the API serves, when its sources changed. */
export const ensureWebClientBuilt = (): Promise<void> =>
  ensureViteBuilt(path.join(ROOT, 'api', 'web-client'), WEB_CLIENT_DIR);

/**
 * A person at the web client: their page in a browser profile of its own, driven only through the
 * accessible names the client promises (the same handles a screen-reader user has).
 */
export interface ClientUser extends OpenedPage {
  /** The messages list of the open channel. */
  messages(): Locator;
  /** The open channel's composer: `channel` is a channel's name, or `@<username>` for a DM. */
  composer(channel: string): Locator;
  /** Types `text` into the composer of `channel` (as for composer) and presses Enter. */
  send(channel: string, text: string): Promise<void>;
  /** The list item holding `text` in the messages list. */
  message(text: string | RegExp): Locator;
  close(): Promise<void>;
}

/** Opens `path` (under /app/) of the web client in a fresh browser profile. */
export async function openClient(browser: Browser, app: TestApp, at = '/app/'): Promise<ClientUser> {
  const opened = await openPage(browser);
  const { page } = opened;
  await page.goto(`${app.origin}${at}`);
  const messages = (): Locator => page.getByRole('list', { name: 'Messages' });
  const composer = (channel: string): Locator =>
    page.getByRole('textbox', { name: `Message ${channel.startsWith('@') ? channel : `#${channel}`}` });
  return {
    ...opened,
    messages,
    composer,
    async send(channel, text) {
      await composer(channel).fill(text);
      await composer(channel).press('Enter');
      // Sent: the composer empties once the API has accepted it.
      await composer(channel).and(page.locator('textarea:placeholder-shown')).waitFor();
    },
    message: (text) => messages().getByRole('listitem').filter({ hasText: text }),
    close: () => opened.context.close(),
  };
}

/** Signs `who` in through the form (their account already exists). */
export async function signInThroughForm(
  page: Page,
  who: Pick<TestUser, 'username' | 'password'>,
): Promise<void> {
  await page.getByRole('textbox', { name: 'Username' }).fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Creates a server through the "Create server" dialog; resolves once its #general is open. */
export async function createServerThroughDialog(client: ClientUser, name: string): Promise<void> {
  const { page } = client;
  await page.getByRole('button', { name: 'Create server' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'Server name' }).fill(name);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('link', { name: 'general', exact: true }).waitFor();
  await client.composer('general').waitFor();
}

/** The invite link the "Invite people" dialog shows (the dialog is closed again). */
export async function inviteLinkThroughDialog(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Invite people' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite people' });
  const field = dialog.getByRole('textbox', { name: 'Invite link' });
  await field.waitFor();
  const link = await field.inputValue();
  await dialog.getByRole('button', { name: 'Close' }).click();
  return link;
}

/** `who` (an existing account) signed in at a fresh page on `at` (under /app/). */
export async function signedInClient(
  browser: Browser,
  app: TestApp,
  who: Pick<TestUser, 'username' | 'password'>,
  at = '/app/',
): Promise<ClientUser> {
  const client = await openClient(browser, app, at);
  await signInThroughForm(client.page, who);
  return client;
}

/** `who` signed in through an invite link `inviter` made; resolves once #general is open for them. */
export async function joinedThroughInvite(
  browser: Browser,
  app: TestApp,
  inviter: ClientUser,
  who: Pick<TestUser, 'username' | 'password'>,
): Promise<ClientUser> {
  const link = await inviteLinkThroughDialog(inviter.page);
  const client = await signedInClient(browser, app, who, new URL(link).pathname);
  await client.composer('general').waitFor();
  return client;
}

/** A member's entry (name and status text) in the open server's member list. */
export const memberEntry = (page: Page, username: string): Locator =>
  page.getByRole('list', { name: 'Members' }).getByRole('listitem').filter({ hasText: username });

/** Sets the user's own status through the "Status" picker (`label`: "Online", "Idle", "Do not disturb", "Invisible"). */
export async function setStatusThroughPicker(page: Page, label: string): Promise<void> {
  await page.getByRole('combobox', { name: 'Status' }).selectOption({ label });
}

/** Opens the "Server settings" dialog; resolves with it. */
export async function openServerSettings(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Server settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Server settings' });
  await dialog.waitFor();
  return dialog;
}

/** Opens the voice channel `name` and joins it; resolves once the "Leave" button shows (connected). */
export async function joinVoiceThroughPanel(page: Page, name: string): Promise<void> {
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('button', { name: 'Join voice' }).click();
  await page.getByRole('button', { name: 'Leave' }).waitFor();
}

/** A participant's entry in the open voice channel's "In voice" list. */
export const voiceEntry = (page: Page, username: string): Locator =>
  page.getByRole('list', { name: 'In voice' }).getByRole('listitem').filter({ hasText: username });

/** Two people in one server: `alice` created it through the dialog, `bob` joined by her invite link. */
export interface TwoMembers {
  alice: TestUser;
  bob: TestUser;
  a: ClientUser;
  b: ClientUser;
  serverId: string;
  close(): Promise<void>;
}

/** Registers two users, has the first create a server named `name` and the second join it, both at the web client. */
export async function twoMembers(browser: Browser, app: TestApp, name: string): Promise<TwoMembers> {
  const alice = await registerUser(app);
  const bob = await registerUser(app);
  const a = await signedInClient(browser, app, alice);
  await createServerThroughDialog(a, name);
  const serverId = /\/app\/channels\/(\d+)\//.exec(a.page.url())![1]!;
  const b = await joinedThroughInvite(browser, app, a, bob);
  return { alice, bob, a, b, serverId, close: async () => (await a.close(), await b.close()) };
}

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * The serious and critical violations axe-core finds in the page as it is now (WCAG 2.x A and AA
 * rules and best practices). axe is evaluated through the DevTools protocol, which the page's CSP
 * does not restrict, so the page is checked under the policy it is served with.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate<Violation[]>(`axe
    .run(document, { resultTypes: ['violations'] })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Waits until `expression` is true in the page, polling through the DevTools protocol. Not
 * page.waitForFunction with a string: when it has to poll, that evals the string inside the page,
 * which the client's CSP (script-src 'self') refuses, and the refusal also lands in the page's errors.
 */
export async function waitForPageTrue(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate<boolean>(expression)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
