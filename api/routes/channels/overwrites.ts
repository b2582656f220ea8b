import type { Runtime } from '../../../shared/runtime.js';
import { deleteOverwrite } from '../../../shared/domain/overwrites/delete.js';
import { putOverwrite } from '../../../shared/domain/overwrites/put.js';
import type { OverwriteBody } from '../../../shared/domain/overwrites/rules.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { overwriteParams, putOverwriteBody } from './schema.js';

type OverwriteParams = { channel_id: string; overwrite_id: string };

/** PUT/DELETE /channels/{channel_id}/permissions/{overwrite_id}. */
export function overwriteRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<OverwriteParams, Record<string, never>, OverwriteBody>({
      method: 'put',
      path: '/channels/{channel_id}/permissions/{overwrite_id}',
      access: 'user',
      summary: 'Set a permission overwrite (MANAGE_ROLES in the channel)',
      description:
        'Creates or replaces the overwrite of a role of the server (`type:"role"`, the server id for ' +
        '`@everyone`) or of a member (`type:"member"`). `allow` and `deny` are decimal-string bitfields; the ' +
        'caller may only change bits they hold in the channel and, unless they own the server, only set the ' +
        'overwrite of a role strictly below their highest role or of a member they outrank (or their own; ' +
        'ADMINISTRATOR does not lift this). Connections that lose VIEW_CHANNEL stop ' +
        'receiving the channel’s events at once, those that gain it start. Recorded in the audit log ' +
        '(`overwrite_update`).',
      tags: ['Channels'],
      status: 204,
      params: overwriteParams,
      body: putOverwriteBody,
      responses: {
        204: { description: 'Set (also when nothing changed)' },
        400: { description: 'Bad `type`, `allow` or `deny` (each named)' },
        403: {
          description:
            '`missing_permission`: MANAGE_ROLES, or a bit the caller does not hold; `role_hierarchy` / ' +
            '`member_hierarchy`: the target is at or above the caller',
        },
        404: { description: '`unknown_channel`, `unknown_role` or `unknown_member`' },
      },
      handler: ({ auth, params, body, req }) =>
        putOverwrite(rt, params.channel_id, params.overwrite_id, auth.user.id, body, auditReason(req)),
    }),
    defineRoute<OverwriteParams>({
      method: 'delete',
      path: '/channels/{channel_id}/permissions/{overwrite_id}',
      access: 'user',
      summary: 'Remove a permission overwrite (MANAGE_ROLES in the channel)',
      description:
        'Same rules as setting it (bits held, hierarchy). Recorded in the audit log (`overwrite_delete`).',
      tags: ['Channels'],
      status: 204,
      params: overwriteParams,
      responses: {
        204: { description: 'Removed' },
        403: {
          description:
            '`missing_permission`: MANAGE_ROLES, or a bit the caller does not hold; `role_hierarchy` / ' +
            '`member_hierarchy`: the target is at or above the caller',
        },
        404: { description: '`unknown_channel` or `unknown_overwrite`' },
      },
      handler: ({ auth, params, req }) =>
        deleteOverwrite(rt, params.channel_id, params.overwrite_id, auth.user.id, auditReason(req)),
    }),
  ];
}
