import { Permission } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import {
  addChannel,
  as,
  denyIn,
  makeRole,
  makeWorld,
  member,
  person,
  send,
  type Person,
  type World,
} from '../messages/pipeline-helpers.js';
import { setAdminByHand } from '../../helpers/accounts.js';

let w: World;
let mod: Person;
let alice: Person;
let bob: Person;
let admin: Person;
let modSocket: GatewayClient;
let adminSocket: GatewayClient;

const app = useTestApp({}, 60_000);
beforeAll(async () => {
  w = await makeWorld(app);
  const modRole = await makeRole(app, w.serverId, { position: 1, permissions: Permission.MANAGE_MESSAGES });
  mod = await member(app, w.serverId, [modRole.id]);
  alice = await member(app, w.serverId);
  bob = await member(app, w.serverId);
  admin = await person(app);
  await setAdminByHand(app, admin.id, true);
  modSocket = await connectGateway(app.origin, { token: mod.token });
  adminSocket = await connectGateway(app.origin, { token: admin.token });
}, 60_000);

afterAll(() => {
  modSocket?.close();
  adminSocket?.close();
});

const report = (who: Person, body: Record<string, unknown>) => as(app, who, 'POST', '/reports', body);

describe('filing reports', () => {
  it('snapshots a reported message, which stays reviewable after it is edited and deleted', async () => {
    const message = await send(app, bob, w.channelId, 'something nasty');
    const res = await report(alice, { target_type: 'message', target_id: message.id, reason: 'abuse' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      target_type: 'message',
      target_id: message.id,
      server_id: w.serverId,
      status: 'open',
    });
    expect(res.body.notes).toBeUndefined();

    const created = await modSocket.waitForFrames(
      1,
      (f) => f.t === 'REPORT_CREATE' && (f.d as { id: string }).id === res.body.id,
    );
    expect(created[0]?.d).toMatchObject({ reporter_id: alice.id, target_user_id: bob.id, reason: 'abuse' });
    await adminSocket.waitForFrames(
      1,
      (f) => f.t === 'REPORT_CREATE' && (f.d as { id: string }).id === res.body.id,
    );

    expect(
      (await as(app, bob, 'PATCH', `/channels/${w.channelId}/messages/${message.id}`, { content: 'nice' }))
        .status,
    ).toBe(200);
    expect((await as(app, bob, 'DELETE', `/channels/${w.channelId}/messages/${message.id}`)).status).toBe(
      204,
    );
    const list = await as(app, mod, 'GET', `/servers/${w.serverId}/reports`);
    expect(list.status).toBe(200);
    const stored = list.body.find((r: { id: string }) => r.id === res.body.id);
    expect(stored.snapshot.message).toMatchObject({ id: message.id, content: 'something nasty' });
    expect(stored.snapshot.author).toMatchObject({ id: bob.id, username: bob.username });
  });

  it('reports a user in a server to its moderators, and outside one to admins only', async () => {
    const inServer = await report(alice, {
      target_type: 'user',
      target_id: bob.id,
      reason: 'spam DMs',
      server_id: w.serverId,
    });
    expect(inServer.status).toBe(201);
    const list = await as(app, mod, 'GET', `/servers/${w.serverId}/reports?status=open`);
    expect(list.body.map((r: { id: string }) => r.id)).toContain(inServer.body.id);
    expect(list.body.find((r: { id: string }) => r.id === inServer.body.id).snapshot.user).toMatchObject({
      id: bob.id,
    });

    const outside = await report(alice, {
      target_type: 'user',
      target_id: w.owner.id,
      reason: 'impersonation',
    });
    expect(outside.status).toBe(201);
    expect(outside.body.server_id).toBeNull();
    const modList = await as(app, mod, 'GET', `/servers/${w.serverId}/reports`);
    expect(modList.body.map((r: { id: string }) => r.id)).not.toContain(outside.body.id);
    const adminList = await as(app, admin, 'GET', '/admin/reports?status=open');
    expect(adminList.status).toBe(200);
    expect(adminList.body.map((r: { id: string }) => r.id)).toEqual(
      expect.arrayContaining([outside.body.id, inServer.body.id]),
    );
  });

  it('refuses what the reporter cannot see, themselves, duplicates and bad input', async () => {
    const secret = await addChannel(app, w, 'secret');
    await denyIn(app, w, secret, alice, Permission.VIEW_CHANNEL);
    const hidden = await send(app, bob, secret, 'hidden');
    const unseen = await report(alice, { target_type: 'message', target_id: hidden.id, reason: 'x' });
    expect([unseen.status, unseen.body.code]).toEqual([404, 'unknown_message']);
    const unknown = await report(alice, { target_type: 'message', target_id: '1234567890', reason: 'x' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_message']);

    const own = await send(app, alice, w.channelId, 'mine');
    const self = await report(alice, { target_type: 'message', target_id: own.id, reason: 'x' });
    expect([self.status, Object.keys(self.body.errors)]).toEqual([400, ['target_id']]);
    expect((await report(alice, { target_type: 'user', target_id: alice.id, reason: 'x' })).status).toBe(400);

    const outsider = await person(app);
    const notMember = await report(alice, {
      target_type: 'user',
      target_id: outsider.id,
      reason: 'x',
      server_id: w.serverId,
    });
    expect([notMember.status, notMember.body.code]).toEqual([404, 'unknown_member']);

    const message = await send(app, bob, w.channelId, 'twice');
    expect((await report(alice, { target_type: 'message', target_id: message.id, reason: 'x' })).status).toBe(
      201,
    );
    const again = await report(alice, { target_type: 'message', target_id: message.id, reason: 'x' });
    expect([again.status, again.body.code]).toEqual([409, 'already_reported']);

    const bad = await report(alice, { target_type: 'channel', target_id: 'abc', reason: '' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['reason', 'target_id', 'target_type']);
    const mixed = await report(alice, {
      target_type: 'message',
      target_id: message.id,
      reason: 'x',
      server_id: w.serverId,
    });
    expect(Object.keys(mixed.body.errors)).toEqual(['server_id']);
  });
});

describe('triage', () => {
  it('lets a moderator note, act on and resolve a report, audited and announced', async () => {
    const message = await send(app, bob, w.channelId, 'triage me');
    const filed = await report(alice, { target_type: 'message', target_id: message.id, reason: 'rude' });
    const path = `/servers/${w.serverId}/reports/${filed.body.id}`;
    const noted = await as(app, mod, 'PATCH', path, { note: 'looking into it' });
    expect(noted.status).toBe(200);
    expect(noted.body.notes).toEqual([
      { author_id: mod.id, content: 'looking into it', created_at: expect.any(Number) },
    ]);
    const resolved = await as(app, mod, 'PATCH', path, {
      status: 'resolved',
      action_taken: 'message_deleted',
      note: 'removed',
    });
    expect(resolved.body).toMatchObject({
      status: 'resolved',
      action_taken: 'message_deleted',
      resolved_by: mod.id,
    });
    expect(resolved.body.notes).toHaveLength(2);
    expect(resolved.body.resolved_at).toEqual(expect.any(Number));
    await adminSocket.waitForFrames(
      1,
      (f) =>
        f.t === 'REPORT_UPDATE' &&
        (f.d as { id: string; status: string }).id === filed.body.id &&
        (f.d as { status: string }).status === 'resolved',
    );
    const audit = await as(app, w.owner, 'GET', `/servers/${w.serverId}/audit-logs?action=report_update`);
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).toContain(filed.body.id);

    const reopened = await as(app, mod, 'PATCH', path, { status: 'open' });
    expect(reopened.body).toMatchObject({ status: 'open', resolved_by: null, resolved_at: null });
    const empty = await as(app, mod, 'PATCH', path, {});
    expect(empty.status).toBe(400);
    const badAction = await as(app, mod, 'PATCH', path, { action_taken: 'nuked' });
    expect(Object.keys(badAction.body.errors)).toEqual(['action_taken']);

    const mine = await as(app, alice, 'GET', '/users/@me/reports');
    const own = mine.body.find((r: { id: string }) => r.id === filed.body.id);
    expect(own).toMatchObject({ status: 'open' });
    expect(own.notes).toBeUndefined();
  });

  it('keeps reports from members who are not moderators, and hides reports of channels a moderator cannot see', async () => {
    const plain = await as(app, alice, 'GET', `/servers/${w.serverId}/reports`);
    expect([plain.status, plain.body.code]).toEqual([403, 'missing_permission']);
    const outsider = await person(app);
    expect((await as(app, outsider, 'GET', `/servers/${w.serverId}/reports`)).status).toBe(404);

    const staff = await addChannel(app, w, 'staff-only');
    await denyIn(app, w, staff, mod, Permission.VIEW_CHANNEL);
    const message = await send(app, bob, staff, 'in staff');
    const filed = await report(w.owner, { target_type: 'message', target_id: message.id, reason: 'x' });
    expect(filed.status).toBe(201);
    const modList = await as(app, mod, 'GET', `/servers/${w.serverId}/reports`);
    expect(modList.body.map((r: { id: string }) => r.id)).not.toContain(filed.body.id);
    const patch = await as(app, mod, 'PATCH', `/servers/${w.serverId}/reports/${filed.body.id}`, {
      note: 'x',
    });
    expect([patch.status, patch.body.code]).toEqual([404, 'unknown_report']);
    const ownerList = await as(app, w.owner, 'GET', `/servers/${w.serverId}/reports`);
    expect(ownerList.body.map((r: { id: string }) => r.id)).toContain(filed.body.id);
  });

  it('lets instance admins triage any report; admin routes are forbidden to others', async () => {
    const filed = await report(bob, { target_type: 'user', target_id: alice.id, reason: 'dm harassment' });
    const res = await as(app, admin, 'PATCH', `/admin/reports/${filed.body.id}`, {
      status: 'dismissed',
      note: 'no evidence',
    });
    expect(res.body).toMatchObject({ status: 'dismissed', resolved_by: admin.id });
    expect((await as(app, alice, 'GET', '/admin/reports')).status).toBe(403);
    expect(
      (await as(app, alice, 'PATCH', `/admin/reports/${filed.body.id}`, { status: 'open' })).status,
    ).toBe(403);
    expect((await as(app, admin, 'PATCH', '/admin/reports/1234567890', { status: 'open' })).status).toBe(404);
  });
});
