import type { Browser } from 'playwright-core';
import { registerUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { launchChromium } from '../../helpers/browser.js';
import {
  createServerThroughDialog,
  ensureWebClientBuilt,
  memberEntry,
  openClient,
  openServerSettings,
  seriousViolations,
  signInThroughForm,
  type ClientUser,
} from '../../helpers/web-client.js';

let browser: Browser;
let client: ClientUser;

beforeAll(() => ensureWebClientBuilt(), 120_000);
const app = useTestApp({}, 120_000);
beforeAll(async () => {
  browser = await launchChromium();
  client = await openClient(browser, app);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await browser?.close();
});

describe('the web client passes axe-core without serious or critical violations', () => {
  it('on the sign-in page', async () => {
    await client.page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await seriousViolations(client.page)).toEqual([]);
  });

  it('in the create-server dialog', async () => {
    const who = await registerUser(app);
    await signInThroughForm(client.page, who);
    await client.page.getByRole('button', { name: 'Create server' }).click();
    await client.page.getByRole('dialog').waitFor();
    expect(await seriousViolations(client.page)).toEqual([]);
    await client.page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('in a channel with messages, and in the invite dialog', async () => {
    await createServerThroughDialog(client, 'Accessible server');
    await client.send('general', 'some **Markdown** with a [link](https://example.com/) and `code`');
    await client.message('some Markdown').waitFor();
    expect(await seriousViolations(client.page)).toEqual([]);
    await client.page.getByRole('button', { name: 'Invite people' }).click();
    await client.page.getByRole('textbox', { name: 'Invite link' }).waitFor();
    expect(await seriousViolations(client.page)).toEqual([]);
    expect(client.errors).toEqual([]);
    await client.page
      .getByRole('dialog', { name: 'Invite people' })
      .getByRole('button', { name: 'Close' })
      .click();
  });

  it('with the member list, and in the server settings dialog', async () => {
    await memberEntry(client.page, 'Online').waitFor();
    expect(await seriousViolations(client.page)).toEqual([]);
    const dialog = await openServerSettings(client.page);
    await dialog.getByRole('textbox', { name: 'New role name' }).fill('Readers');
    await dialog.getByRole('button', { name: 'Create role' }).click();
    await dialog.getByRole('group', { name: 'Permissions of Readers' }).waitFor();
    expect(await seriousViolations(client.page)).toEqual([]);
    expect(client.errors).toEqual([]);
  });
});
