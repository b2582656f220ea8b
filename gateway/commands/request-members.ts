import Joi from 'joi';
import { snowflakeSchema } from '../../shared/snowflake-schema.js';
import { QueryTypes } from 'sequelize';
import { ServerPolicy } from '../../shared/permissions/index.js';
import { presentMember } from '../../shared/presenters/role.js';
import type { GatewayContext } from '../sessions/connect.js';
import type { GatewaySocket } from '../types.js';
import { ApiError, NotFoundError } from '../../shared/errors.js';
import { Intent } from '../../shared/intents.js';

/**
 * `request_members {server_id, query?, limit?}`: members whose username starts with query, with
 * presences. A bot needs the SERVER_MEMBERS intent (and SERVER_PRESENCES for the presences).
 */
export const requestMembersSchema = Joi.object({
  server_id: snowflakeSchema().required(),
  query: Joi.string().allow('').max(32).default(''),
  limit: Joi.number().integer().min(1).max(100).default(100),
});

export async function requestMembers(
  ctx: GatewayContext,
  socket: GatewaySocket,
  input: { server_id: string; query: string; limit: number },
): Promise<Record<string, unknown>> {
  const { Member, User, MemberRole } = ctx.rt.models;
  const intents = socket.data.intents;
  if (intents !== null && (intents & Intent.SERVER_MEMBERS) === 0) {
    throw new ApiError(403, 'missing_intent', 'request_members needs the SERVER_MEMBERS intent');
  }
  const withPresences = intents === null || (intents & Intent.SERVER_PRESENCES) !== 0;
  const policy = await ServerPolicy.load(ctx.rt, input.server_id, socket.data.userId).catch(() => null);
  if (!policy) throw new NotFoundError('server');
  const escaped = input.query.replace(/[\\%_]/g, (c) => `\\${c}`);
  const found = await ctx.rt.sequelize.query<{ user_id: string }>(
    `SELECT m.user_id FROM members m JOIN users u ON u.id = m.user_id
      WHERE m.server_id = $1 AND u.username ILIKE $2 ESCAPE '\\' ORDER BY u.username LIMIT $3`,
    { bind: [input.server_id, `${escaped}%`, input.limit], type: QueryTypes.SELECT },
  );
  const ids = found.map((r) => r.user_id);
  const users = await User.findAll({ where: { id: ids } });
  const [members, roles, presences] = await Promise.all([
    Member.findAll({ where: { server_id: input.server_id, user_id: ids } }),
    MemberRole.findAll({ where: { server_id: input.server_id, user_id: ids } }),
    withPresences ? ctx.presence.get(ids, socket.data.userId) : Promise.resolve([]),
  ]);
  const byId = new Map(users.map((u) => [u.id, u]));
  return {
    members: members.flatMap((m) => {
      const user = byId.get(m.user_id);
      const roleIds = roles.filter((r) => r.user_id === m.user_id).map((r) => r.role_id);
      return user ? [presentMember(ctx.rt.config, m, user, roleIds)] : [];
    }),
    presences,
  };
}
