import { issueSession } from '../../../shared/accounts/sessions.js';
import { invalidate } from '../../../shared/domain/invalidation.js';
import { decodeSnowflake } from '../../../shared/snowflake.js';
import { api, type ApiResponse } from '../../helpers/accounts.js';
import type { TestApp } from '../../helpers/app.js';
import { createServerWithChannel, createUser } from '../../helpers/factories.js';

/** A user with a session token (made directly, faster than registering through the API). */
export interface Person {
  id: string;
  username: string;
  token: string;
}

export async function person(app: TestApp): Promise<Person> {
  const user = await createUser(app.rt);
  const { token } = await issueSession(app.rt, user, { ip: '127.0.0.1', userAgent: null });
  return { id: user.id, username: user.username, token };
}

/** An owner, their server (with @everyone and `general`). */
export async function world(app: TestApp) {
  const owner = await person(app);
  const { server, channel } = await createServerWithChannel(app.rt, owner.id);
  return { owner, serverId: server.id, channelId: channel.id };
}

/** A role made directly in the database. */
export async function makeRole(
  app: TestApp,
  serverId: string,
  fields: { position: number; permissions?: bigint; name?: string },
) {
  const id = app.rt.snowflake.next();
  const role = await app.rt.models.Role.create({
    id,
    server_id: serverId,
    name: fields.name ?? `role-${fields.position}`,
    permissions: String(fields.permissions ?? 0n),
    position: fields.position,
    created_at: new Date(decodeSnowflake(id).timestampMs),
  });
  await invalidate(app.rt, { servers: [serverId] });
  return role;
}

/** A new member of the server, holding `roleIds`. */
export async function member(app: TestApp, serverId: string, roleIds: string[] = []): Promise<Person> {
  const p = await person(app);
  await app.rt.models.Member.create({ server_id: serverId, user_id: p.id });
  for (const role_id of roleIds)
    await app.rt.models.MemberRole.create({ server_id: serverId, user_id: p.id, role_id });
  await invalidate(app.rt, { servers: [serverId] });
  return p;
}

/** A request as `who`, with an optional audit reason. */
export function as(
  app: TestApp,
  who: Person,
  method: string,
  path: string,
  body?: unknown,
  reason?: string,
): Promise<ApiResponse> {
  return api(app, method, path, {
    token: who.token,
    body,
    headers: reason ? { 'x-audit-log-reason': encodeURIComponent(reason) } : {},
  });
}

/** The server's audit entries (newest first) straight from the database. */
export async function auditEntries(app: TestApp, serverId: string, action?: string) {
  const rows = await app.rt.models.AuditLog.findAll({
    where: { server_id: serverId, ...(action ? { action } : {}) },
    order: [['id', 'DESC']],
  });
  return rows.map((r) => r.get({ plain: true }));
}

/** Records every dispatch the API publishes, passing it through. */
export function recordDispatches(app: TestApp): { t: string; rooms: string[]; d: unknown }[] {
  const sent: { t: string; rooms: string[]; d: unknown }[] = [];
  const events = app.rt.events;
  const original = events.dispatch.bind(events);
  events.dispatch = async (rooms, t, d, except) => {
    await original(rooms, t, d, except);
    sent.push({ t, rooms, d });
  };
  return sent;
}
