import Joi from 'joi';
import { AUDIT_ACTIONS, type AuditAction } from '../../../shared/audit.js';
import { absoluteUrl } from '../../../shared/config/public-base.js';
import type { Row } from '../../../shared/db/models/index.js';
import { pageBy } from '../../../shared/pagination.js';
import { Permission, ServerPolicy } from '../../../shared/permissions/index.js';
import { unixSeconds } from '../../../shared/presenters/time.js';
import type { Runtime } from '../../../shared/runtime.js';
import { pagination, snowflake } from '../common-schemas.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { serverParams } from '../roles/schema.js';

interface AuditLogQuery {
  limit: number;
  before?: string;
  after?: string;
  user_id?: string;
  action?: AuditAction;
}

const auditLogQuery = Joi.object<AuditLogQuery>({
  ...pagination,
  user_id: snowflake().description('only entries by this user (the actor)'),
  action: Joi.string()
    .valid(...AUDIT_ACTIONS)
    .description(
      'only entries of this action (`action_type`, the name Discord gives the filter, is taken too)',
    ),
})
  // Discord's name for the same filter; both at once is a 400.
  .rename('action_type', 'action');

const auditLogEntryObject = Joi.object({
  id: Joi.string().required(),
  action: Joi.string()
    .valid(...AUDIT_ACTIONS)
    .required(),
  user_id: Joi.string().allow(null).required().description('who did it'),
  target_type: Joi.string().allow(null).required(),
  target_id: Joi.string().allow(null).required(),
  changes: Joi.array()
    .items(Joi.object({ key: Joi.string().required(), old: Joi.any(), new: Joi.any() }))
    .required()
    .description('changed fields with their old and new values'),
  reason: Joi.string().allow(null).required().description('from the X-Audit-Log-Reason header'),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'AuditLogEntry' });

/** Changed fields whose values are stored URLs (a bare path for an upload): made absolute. */
const URL_KEYS = new Set(['icon_url', 'avatar_url']);

function presentEntry(config: Runtime['config'], entry: Row<'AuditLog'>) {
  const url = (v: unknown) => (typeof v === 'string' ? absoluteUrl(config, v) : v);
  return {
    id: entry.id,
    action: entry.action,
    user_id: entry.actor_id ?? null,
    target_type: entry.target_type ?? null,
    target_id: entry.target_id ?? null,
    changes: (entry.changes ?? []).map((c) =>
      URL_KEYS.has(c.key) ? { ...c, old: url(c.old), new: url(c.new) } : c,
    ),
    reason: entry.reason ?? null,
    created_at: unixSeconds(entry.created_at),
  };
}

/** GET /servers/{server_id}/audit-logs. */
export function auditLogRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<{ server_id: string }, AuditLogQuery>({
      method: 'get',
      path: '/servers/{server_id}/audit-logs',
      access: 'user',
      summary: 'Who did what in the server (VIEW_AUDIT_LOG)',
      description:
        'Newest first (with `before` or with neither), oldest first with `after`. `user_id` (the actor) and ' +
        '`action` filter and combine.',
      tags: ['Audit log'],
      params: serverParams,
      query: auditLogQuery,
      responses: {
        200: { description: 'One page of entries', schema: Joi.array().items(auditLogEntryObject) },
        403: { description: 'Missing VIEW_AUDIT_LOG' },
        404: { description: 'Unknown server, or the caller is not a member' },
      },
      handler: async ({ params, query, auth }) => {
        const policy = await ServerPolicy.load(rt, params.server_id, auth.user.id);
        policy.require(Permission.VIEW_AUDIT_LOG);
        const page = pageBy('id', query);
        const entries = await rt.models.AuditLog.findAll({
          where: {
            server_id: params.server_id,
            ...page.where,
            ...(query.user_id !== undefined ? { actor_id: query.user_id } : {}),
            ...(query.action !== undefined ? { action: query.action } : {}),
          },
          order: page.order,
          limit: page.limit,
        });
        return entries.map((e) => presentEntry(rt.config, e));
      },
    }),
  ];
}
