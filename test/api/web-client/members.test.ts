import type { Browser } from 'playwright-core';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { launchChromium } from '../../helpers/browser.js';
import { until } from '../../helpers/services.js';
import {
  createServerThroughDialog,
  ensureWebClientBuilt,
  joinedThroughInvite,
  memberEntry,
  openServerSettings,
  setStatusThroughPicker,
  signedInClient,
  type ClientUser,
} from '../../helpers/web-client.js';

let app: TestApp;
let browser: Browser;
let alice: TestUser;
let bob: TestUser;
let a: ClientUser;
let b: ClientUser;
let serverId: string;

beforeAll(async () => {
  await ensureWebClientBuilt();
  app = await startTestApp();
  browser = await launchChromium();
  alice = await registerUser(app);
  bob = await registerUser(app);
  a = await signedInClient(browser, app, alice);
  await createServerThroughDialog(a, 'Members and roles');
  serverId = /\/app\/channels\/(\d+)\//.exec(a.page.url())![1]!;
  b = await joinedThroughInvite(browser, app, a, bob);
}, 120_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await browser?.close();
  await app?.close();
});

describe('presence in the web client', () => {
  it('lists the server members with their status, and shows the status another user sets', async () => {
    await memberEntry(a.page, bob.username).filter({ hasText: 'Online' }).waitFor();
    await memberEntry(b.page, alice.username).filter({ hasText: 'Online' }).waitFor();

    await setStatusThroughPicker(b.page, 'Do not disturb');
    await memberEntry(a.page, bob.username).filter({ hasText: 'Do not disturb' }).waitFor();

    // Invisible is offline to everyone else.
    await setStatusThroughPicker(b.page, 'Invisible');
    await memberEntry(a.page, bob.username).filter({ hasText: 'Offline' }).waitFor();
    await memberEntry(b.page, bob.username).filter({ hasText: 'Invisible' }).waitFor();

    await setStatusThroughPicker(b.page, 'Online');
    await memberEntry(a.page, bob.username).filter({ hasText: 'Online' }).waitFor();
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });
});

describe('server settings in the web client', () => {
  it('is offered only to members who may manage the server', async () => {
    await a.page.getByRole('button', { name: 'Server settings' }).waitFor();
    await memberEntry(b.page, alice.username).waitFor();
    expect(await b.page.getByRole('button', { name: 'Server settings' }).count()).toBe(0);
  });

  it('shows a refused change with the API message naming the field', async () => {
    const dialog = await openServerSettings(a.page);
    await dialog.getByRole('textbox', { name: 'New role name' }).fill(' ');
    await dialog.getByRole('button', { name: 'Create role' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'name' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('creates a role with a permission, renames it and gives it to a member', async () => {
    const dialog = await openServerSettings(a.page);
    await dialog.getByRole('textbox', { name: 'New role name' }).fill('Helpers');
    await dialog.getByRole('button', { name: 'Create role' }).click();
    await dialog.getByRole('group', { name: 'Permissions of Helpers' }).waitFor();
    const manage = dialog.getByRole('checkbox', { name: 'MANAGE_MESSAGES', exact: true });
    await manage.check();
    await expectRole('Helpers', (r) => (BigInt(r.permissions) & (1n << 13n)) !== 0n);

    await dialog.getByRole('textbox', { name: 'Rename role' }).fill('Moderators');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await dialog.getByRole('group', { name: 'Permissions of Moderators' }).waitFor();
    const role = await expectRole('Moderators', () => true);

    await dialog.getByRole('combobox', { name: 'Member' }).selectOption({ label: bob.username });
    await dialog
      .getByRole('group', { name: `Roles of ${bob.username}` })
      .getByRole('checkbox', { name: 'Moderators' })
      .check();
    await until(async () => {
      const member = await api(app, 'GET', `/servers/${serverId}/members/${bob.id}`, { token: alice.token });
      return (member.body as { roles: string[] }).roles.includes(role.id);
    }, 'the role given to bob');
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('denies SEND_MESSAGES to @everyone in a channel, and the other user is refused', async () => {
    const dialog = await openServerSettings(a.page);
    await dialog.getByRole('combobox', { name: 'Channel' }).selectOption({ label: 'general' });
    await dialog.getByRole('combobox', { name: 'Overwrite for role' }).selectOption({ label: '@everyone' });
    const deny = dialog
      .getByRole('group', { name: 'SEND_MESSAGES', exact: true })
      .getByRole('radio', { name: 'Deny' });
    await deny.check();
    await until(async () => {
      const channel = await api(app, 'GET', `/channels/${generalId()}`, { token: alice.token });
      const overwrites = (channel.body as { permission_overwrites: { id: string; deny: string }[] })
        .permission_overwrites;
      return overwrites.some((o) => o.id === serverId && (BigInt(o.deny) & (1n << 11n)) !== 0n);
    }, 'the overwrite denying SEND_MESSAGES');
    await dialog.getByRole('button', { name: 'Close' }).click();

    await b.composer('general').fill('may I still speak?');
    await b.composer('general').press('Enter');
    await b.page.getByRole('alert').filter({ hasText: 'SEND_MESSAGES' }).waitFor();
    expect(await b.message('may I still speak?').count()).toBe(0);
    // The owner is not bound by overwrites.
    await a.send('general', 'the owner still speaks');
    await b.message('the owner still speaks').waitFor();
  });
});

function generalId(): string {
  return /\/app\/channels\/\d+\/(\d+)/.exec(a.page.url())![1]!;
}

/** Waits until the server has a role named `name` matching `ok`; resolves with it. */
async function expectRole(
  name: string,
  ok: (role: { id: string; permissions: string }) => boolean,
): Promise<{ id: string; permissions: string }> {
  let found: { id: string; name: string; permissions: string } | undefined;
  await until(async () => {
    const roles = await api(app, 'GET', `/servers/${serverId}/roles`, { token: alice.token });
    found = (roles.body as { id: string; name: string; permissions: string }[]).find((r) => r.name === name);
    return found !== undefined && ok(found);
  }, `the role ${name}`);
  return found!;
}
