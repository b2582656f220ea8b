import type { Runtime } from '../../../shared/runtime.js';
import {
  createServer,
  deleteServer,
  getServer,
  updateServer,
  type ServerPatch,
} from '../../../shared/domain/servers/servers.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { createServerBody, patchServerBody, serverIdParams, serverObject } from './schema.js';

type ServerParams = { server_id: string };
const emptyToNull = <T>(v: T | ''): T | null => (v === '' ? null : v);

/** POST /servers, GET/PATCH/DELETE /servers/{server_id}. */
export function serverRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<Record<string, never>, Record<string, never>, { name: string; description?: string | null }>({
      method: 'post',
      path: '/servers',
      access: 'user',
      userOnly: true,
      summary: 'Create a server',
      description:
        'The caller becomes its owner and first member. The server starts with its `@everyone` role (whose ' +
        'id is the server id, with the default permissions) and a `general` text channel. The caller’s ' +
        'connections receive `SERVER_CREATE`.',
      tags: ['Servers'],
      status: 201,
      body: createServerBody,
      responses: {
        201: { description: 'The new server', schema: serverObject },
        400: { description: 'Bad name (1-100 characters) or description (at most 1000)' },
      },
      handler: ({ auth, body }) =>
        createServer(rt, auth.user.id, {
          name: body.name,
          description: body.description === undefined ? undefined : emptyToNull(body.description),
        }),
    }),
    defineRoute<ServerParams>({
      method: 'get',
      path: '/servers/{server_id}',
      access: 'user',
      summary: 'A server the caller is a member of',
      tags: ['Servers'],
      params: serverIdParams,
      responses: {
        200: { description: 'The server', schema: serverObject },
        404: { description: '`unknown_server`: no such server, or the caller is not a member' },
      },
      handler: ({ auth, params }) => getServer(rt, params.server_id, auth.user.id),
    }),
    defineRoute<ServerParams, Record<string, never>, ServerPatch>({
      method: 'patch',
      path: '/servers/{server_id}',
      access: 'user',
      summary: 'Update a server, or transfer its ownership',
      description:
        '`name`, `description` and `icon_url` need MANAGE_SERVER. `owner_id` transfers the ownership to ' +
        'another member (the owner only). Recorded in the audit log (`server_update`, `server_transfer`; ' +
        'reason from `X-Audit-Log-Reason`); members receive `SERVER_UPDATE`.',
      tags: ['Servers'],
      params: serverIdParams,
      body: patchServerBody,
      responses: {
        200: { description: 'The updated server', schema: serverObject },
        400: { description: 'Bad fields, or `owner_id` is not a member' },
        403: { description: '`missing_permission` (MANAGE_SERVER) or `owner_only` (transfer)' },
        404: { description: '`unknown_server`' },
      },
      handler: ({ auth, params, body, req }) => {
        const patch: ServerPatch = { ...body };
        if (patch.description !== undefined) patch.description = emptyToNull(patch.description);
        return updateServer(rt, params.server_id, auth.user.id, patch, auditReason(req));
      },
    }),
    defineRoute<ServerParams>({
      method: 'delete',
      path: '/servers/{server_id}',
      access: 'user',
      summary: 'Delete a server (owner only)',
      description:
        'Deletes the server with its channels, roles, members and messages. Members receive `SERVER_DELETE`.',
      tags: ['Servers'],
      status: 204,
      params: serverIdParams,
      responses: {
        204: { description: 'Deleted' },
        403: { description: '`owner_only`: the caller is a member but not the owner' },
        404: { description: '`unknown_server`' },
      },
      handler: ({ auth, params }) => deleteServer(rt, params.server_id, auth.user.id),
    }),
  ];
}
