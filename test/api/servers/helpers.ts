import type { TestApp } from '../../helpers/app.js';
import { invalidate } from '../../../shared/domain/invalidation.js';
import { api, type TestUser } from '../../helpers/accounts.js';

/** Creates a server through the API; returns its id and its general channel's id. */
export async function makeServer(
  app: TestApp,
  owner: TestUser,
  name = 'Test server',
): Promise<{ serverId: string; generalId: string }> {
  const res = await api(app, 'POST', '/servers', { token: owner.token, body: { name } });
  if (res.status !== 201) throw new Error(`create server: ${res.status} ${JSON.stringify(res.body)}`);
  const serverId = res.body.id as string;
  const general = await app.rt.models.Channel.findOne({ where: { server_id: serverId, name: 'general' } });
  return { serverId, generalId: general?.id as string };
}

/** Adds a member directly (joining via invites is not this capability's). */
export async function addMember(app: TestApp, serverId: string, userId: string, roleIds: string[] = []) {
  await app.rt.models.Member.create({ server_id: serverId, user_id: userId });
  for (const role_id of roleIds) {
    await app.rt.models.MemberRole.create({ server_id: serverId, user_id: userId, role_id });
  }
  await invalidate(app.rt, { servers: [serverId] });
}

/** Creates a role directly (the roles routes are another capability's). */
export async function addRole(app: TestApp, serverId: string, permissions: bigint, position = 1) {
  const id = app.rt.snowflake.next();
  await app.rt.models.Role.create({
    id,
    server_id: serverId,
    name: `role-${id}`,
    permissions: String(permissions),
    position,
    created_at: new Date(),
  });
  await invalidate(app.rt, { servers: [serverId] });
  return id;
}
