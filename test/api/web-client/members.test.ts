import type { Browser } from 'playwright-core';
import { api } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { launchChromium } from '../../helpers/browser.js';
import { until } from '../../helpers/services.js';
import {
  ensureWebClientBuilt,
  memberEntry,
  openServerSettings,
  setStatusThroughPicker,
  twoMembers,
  type TwoMembers,
} from '../../helpers/web-client.js';

let browser: Browser;
let w: TwoMembers;

beforeAll(() => ensureWebClientBuilt(), 120_000);
const app = useTestApp({}, 120_000);
beforeAll(async () => {
  browser = await launchChromium();
  w = await twoMembers(browser, app, 'Members and roles');
}, 120_000);

afterAll(async () => {
  await w?.close();
  await browser?.close();
});

describe('presence in the web client', () => {
  it('lists the server members with their status, and shows the status another user sets', async () => {
    await memberEntry(w.a.page, w.bob.username).filter({ hasText: 'Online' }).waitFor();
    await memberEntry(w.b.page, w.alice.username).filter({ hasText: 'Online' }).waitFor();

    await setStatusThroughPicker(w.b.page, 'Do not disturb');
    await memberEntry(w.a.page, w.bob.username).filter({ hasText: 'Do not disturb' }).waitFor();

    // Invisible is offline to everyone else.
    await setStatusThroughPicker(w.b.page, 'Invisible');
    await memberEntry(w.a.page, w.bob.username).filter({ hasText: 'Offline' }).waitFor();
    await memberEntry(w.b.page, w.bob.username).filter({ hasText: 'Invisible' }).waitFor();

    await setStatusThroughPicker(w.b.page, 'Online');
    await memberEntry(w.a.page, w.bob.username).filter({ hasText: 'Online' }).waitFor();
    expect(w.a.errors).toEqual([]);
    expect(w.b.errors).toEqual([]);
  });
});

describe('server settings in the web client', () => {
  it('is offered only to members who may manage the server', async () => {
    await w.a.page.getByRole('button', { name: 'Server settings' }).waitFor();
    await memberEntry(w.b.page, w.alice.username).waitFor();
    expect(await w.b.page.getByRole('button', { name: 'Server settings' }).count()).toBe(0);
  });

  it('shows a refused change with the API message naming the field', async () => {
    const dialog = await openServerSettings(w.a.page);
    await dialog.getByRole('textbox', { name: 'New role name' }).fill(' ');
    await dialog.getByRole('button', { name: 'Create role' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'name' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('creates a role with a permission, renames it and gives it to a member', async () => {
    const dialog = await openServerSettings(w.a.page);
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

    await dialog.getByRole('combobox', { name: 'Member' }).selectOption({ label: w.bob.username });
    await dialog
      .getByRole('group', { name: `Roles of ${w.bob.username}` })
      .getByRole('checkbox', { name: 'Moderators' })
      .check();
    await until(async () => {
      const member = await api(app, 'GET', `/servers/${w.serverId}/members/${w.bob.id}`, {
        token: w.alice.token,
      });
      return (member.body as { roles: string[] }).roles.includes(role.id);
    }, 'the role given to bob');
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('denies SEND_MESSAGES to @everyone in a channel, and the other user is refused', async () => {
    const dialog = await openServerSettings(w.a.page);
    await dialog.getByRole('combobox', { name: 'Channel' }).selectOption({ label: 'general' });
    await dialog.getByRole('combobox', { name: 'Overwrite for role' }).selectOption({ label: '@everyone' });
    const deny = dialog
      .getByRole('group', { name: 'SEND_MESSAGES', exact: true })
      .getByRole('radio', { name: 'Deny' });
    await deny.check();
    await until(async () => {
      const channel = await api(app, 'GET', `/channels/${generalId()}`, { token: w.alice.token });
      const overwrites = (channel.body as { permission_overwrites: { id: string; deny: string }[] })
        .permission_overwrites;
      return overwrites.some((o) => o.id === w.serverId && (BigInt(o.deny) & (1n << 11n)) !== 0n);
    }, 'the overwrite denying SEND_MESSAGES');
    await dialog.getByRole('button', { name: 'Close' }).click();

    await w.b.composer('general').fill('may I still speak?');
    await w.b.composer('general').press('Enter');
    await w.b.page.getByRole('alert').filter({ hasText: 'SEND_MESSAGES' }).waitFor();
    expect(await w.b.message('may I still speak?').count()).toBe(0);
    // The owner is not bound by overwrites.
    await w.a.send('general', 'the owner still speaks');
    await w.b.message('the owner still speaks').waitFor();
  });
});

function generalId(): string {
  return /\/app\/channels\/\d+\/(\d+)/.exec(w.a.page.url())![1]!;
}

/** Waits until the server has a role named `name` matching `ok`; resolves with it. */
async function expectRole(
  name: string,
  ok: (role: { id: string; permissions: string }) => boolean,
): Promise<{ id: string; permissions: string }> {
  let found: { id: string; name: string; permissions: string } | undefined;
  await until(async () => {
    const roles = await api(app, 'GET', `/servers/${w.serverId}/roles`, { token: w.alice.token });
    found = (roles.body as { id: string; name: string; permissions: string }[]).find((r) => r.name === name);
    return found !== undefined && ok(found);
  }, `the role ${name}`);
  return found!;
}
