import { pipeline } from 'node:stream/promises';
import type { Row } from '../../../shared/db/models/index.js';
import { downloadable, latestExport, requestExport } from '../../../shared/domain/exports/request.js';
import { NotFoundError } from '../../../shared/errors.js';
import { unixSeconds } from '../../../shared/presenters/time.js';
import { publicBase } from '../../../shared/config/public-base.js';
import type { Runtime } from '../../../shared/runtime.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { exportObject, exportParams } from './schema.js';

/** An export as its owner sees it. */
function presentExport(rt: Runtime, apiBase: string, row: Row<'DataExport'> | null) {
  if (!row) return { status: 'none' };
  const ready = downloadable(row);
  return {
    id: row.id,
    status: row.status === 'ready' && !ready ? 'expired' : row.status,
    created_at: unixSeconds(row.created_at),
    finished_at: unixSeconds(row.finished_at),
    expires_at: unixSeconds(row.expires_at),
    size: row.size === null ? null : Number(row.size),
    ...(ready ? { url: `${publicBase(rt.config)}${apiBase}/users/@me/export/${row.id}/archive` } : {}),
  };
}

/** POST/GET /users/@me/export and the archive download (`apiBase`: where the API is mounted). */
export function dataExportRoutes(rt: Runtime, apiBase: string): AnyRoute[] {
  const { DataExport } = rt.models;

  return [
    defineRoute({
      method: 'post',
      path: '/users/@me/export',
      access: 'user',
      userOnly: true,
      summary: 'Request an archive of the caller’s data',
      description:
        'Queues an `exports` job that builds a zip archive of the caller’s data: profile, servers ' +
        '(memberships), every message they wrote with attachment links, relationships, sessions and security ' +
        'events. Answers 202 with the export (`status: "pending"`); GET /users/@me/export tells when it is ' +
        '`ready` and gives its `url`. While an export is pending, or within `accounts.export_cooldown_minutes` ' +
        'of the last request while its archive is still there, the answer is 202 with that same export: asking twice never ' +
        'builds two archives.',
      tags: ['Users'],
      status: 202,
      responses: {
        202: { description: 'The export being built (or the recent one)', schema: exportObject },
      },
      handler: async ({ auth }) => presentExport(rt, apiBase, await requestExport(rt, auth.user.id)),
    }),
    defineRoute({
      method: 'get',
      path: '/users/@me/export',
      access: 'user',
      userOnly: true,
      summary: 'The caller’s latest data export',
      description:
        '`status`: `none` (never requested), `pending`, `ready` (with `url`: GET it with your token; it ' +
        'answers the zip archive), `failed` (request a new one), or `expired` (the archive was removed ' +
        '`accounts.export_ttl_hours` after it was built).',
      tags: ['Users'],
      responses: { 200: { description: 'The latest export', schema: exportObject } },
      handler: async ({ auth }) => presentExport(rt, apiBase, await latestExport(rt, auth.user.id)),
    }),
    defineRoute<{ export_id: string }>({
      method: 'get',
      path: '/users/@me/export/{export_id}/archive',
      access: 'user',
      userOnly: true,
      summary: 'Download a data export',
      description:
        'The zip archive of a ready export, to its owner only (anyone else, and an export that is not ready ' +
        'or has expired, gets 404 `unknown_export`). Never cached.',
      tags: ['Users'],
      params: exportParams,
      responses: {
        200: { description: 'The archive (application/zip)' },
        404: { description: '`unknown_export`' },
      },
      handler: async ({ params, auth, res }) => {
        const row = await DataExport.findOne({ where: { id: params.export_id, user_id: auth.user.id } });
        if (!row || !downloadable(row) || !row.storage_key) throw new NotFoundError('export');
        const opened = await rt.storage.get(row.storage_key);
        if (!opened) throw new NotFoundError('export');
        res.setHeader('Content-Type', 'application/zip');
        res.setHeader('Content-Disposition', `attachment; filename="plexichat-export-${row.id}.zip"`);
        res.setHeader('Content-Length', String(opened.length));
        res.setHeader('Cache-Control', 'private, no-store');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        try {
          await pipeline(opened.body, res);
        } catch (err) {
          // The client went away mid-download: nothing to answer.
          if (res.destroyed && !res.writableFinished) return undefined;
          throw err;
        }
        return undefined;
      },
    }),
  ];
}
