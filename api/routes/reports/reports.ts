import Joi from 'joi';
import type { Runtime } from '../../../shared/runtime.js';
import { createReport } from '../../../shared/domain/reports/file.js';
import type { ReportInput, ReportPatch, ReportQuery } from '../../../shared/domain/reports/rules.js';
import { updateReportAsAdmin, updateServerReport } from '../../../shared/domain/reports/triage.js';
import { listAllReports, listOwnReports, listServerReports } from '../../reports/report-reads.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { serverIdParams } from '../servers/schema.js';
import {
  adminReportsQuery,
  createReportBody,
  ownReportObject,
  patchReportBody,
  reportObject,
  reportParams,
  reportsQuery,
  serverReportParams,
} from './schema.js';

type ServerParams = { server_id: string };
type ServerReportParams = ServerParams & { report_id: string };

const MODERATORS =
  'Moderators are members with any of KICK_MEMBERS, BAN_MEMBERS, MANAGE_MESSAGES, MODERATE_MEMBERS (the owner and ADMINISTRATOR too); ' +
  'reports of messages in channels they cannot see are not theirs.';

/** Reports: users file them, server moderators and instance admins triage them. */
export function reportRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<Record<string, never>, Record<string, never>, ReportInput>({
      method: 'post',
      path: '/reports',
      access: 'user',
      summary: 'Report a user or a message',
      description:
        'A message must be one the caller can read (else 404 `unknown_message`); the report keeps a snapshot of it ' +
        '(content, attachments, embeds, author) so it stays reviewable if the message is edited or deleted. It goes ' +
        'to the moderators of the message’s server (a DM: instance admins only). A user report with `server_id` ' +
        '(both must be members) goes to that server’s moderators, without it to instance admins. Your own ' +
        'messages and yourself cannot be reported (400); one open report per reporter and target (409 ' +
        '`already_reported`). Moderators who may see it and instance admins get REPORT_CREATE. At most 5 ' +
        'reports per minute.',
      tags: ['Moderation'],
      status: 201,
      rateLimit: { points: 5, duration_seconds: 60 },
      body: createReportBody,
      responses: {
        201: { description: 'The report, as its reporter sees it', schema: ownReportObject },
        400: { description: 'Bad `target_type`, `target_id`, `reason` or `server_id`' },
        404: { description: '`unknown_message`, `unknown_user`, `unknown_server` or `unknown_member`' },
        409: { description: '`already_reported`' },
      },
      handler: ({ body, auth }) => createReport(rt, auth.user.id, body),
    }),
    defineRoute<Record<string, never>, ReportQuery>({
      method: 'get',
      path: '/users/@me/reports',
      access: 'user',
      summary: 'The reports you filed',
      description: 'Their status only: moderators’ notes and actions are not shown to reporters.',
      tags: ['Moderation'],
      query: reportsQuery,
      responses: { 200: { description: 'One page', schema: Joi.array().items(ownReportObject) } },
      handler: ({ query, auth }) => listOwnReports(rt, auth.user.id, query),
    }),
    defineRoute<ServerParams, ReportQuery>({
      method: 'get',
      path: '/servers/{server_id}/reports',
      access: 'user',
      summary: 'A server’s reports (moderators)',
      description: `${MODERATORS} Newest first; \`status\` filters (open, resolved, dismissed).`,
      tags: ['Moderation'],
      params: serverIdParams,
      query: reportsQuery,
      responses: {
        200: { description: 'One page', schema: Joi.array().items(reportObject) },
        403: { description: '`missing_permission`: not a moderator' },
        404: { description: '`unknown_server`' },
      },
      handler: ({ params, query, auth }) => listServerReports(rt, params.server_id, auth.user.id, query),
    }),
    defineRoute<ServerReportParams, Record<string, never>, ReportPatch>({
      method: 'patch',
      path: '/servers/{server_id}/reports/{report_id}',
      access: 'user',
      summary: 'Triage a report (moderators)',
      description:
        `${MODERATORS} Set \`status\` (resolved or dismissed closes it and records who and when; open reopens ` +
        'it), append a `note`, record the `action_taken`. Audited as `report_update`; the audience gets REPORT_UPDATE.',
      tags: ['Moderation'],
      params: serverReportParams,
      body: patchReportBody,
      responses: {
        200: { description: 'The report', schema: reportObject },
        400: { description: 'Bad `status`, `note` or `action_taken`, or none given' },
        403: { description: '`missing_permission`: not a moderator' },
        404: {
          description: '`unknown_server` or `unknown_report` (also for reports the moderator cannot see)',
        },
      },
      handler: ({ params, body, auth, req }) =>
        updateServerReport(rt, params.server_id, params.report_id, auth.user.id, body, auditReason(req)),
    }),
    defineRoute<Record<string, never>, ReportQuery>({
      method: 'get',
      path: '/admin/reports',
      access: 'admin',
      summary: 'Every report (instance admins)',
      description:
        'Including reports with no server (DMs, users reported outside a server). Filter by `status`, `server_id`.',
      tags: ['Admin'],
      query: adminReportsQuery,
      responses: {
        200: { description: 'One page', schema: Joi.array().items(reportObject) },
      },
      handler: ({ query }) => listAllReports(rt, query),
    }),
    defineRoute<{ report_id: string }, Record<string, never>, ReportPatch>({
      method: 'patch',
      path: '/admin/reports/{report_id}',
      access: 'admin',
      summary: 'Triage any report (instance admins)',
      description:
        'As the moderators’ PATCH; not written to a server audit log (admin actions are in the app log).',
      tags: ['Admin'],
      params: reportParams,
      body: patchReportBody,
      responses: {
        200: { description: 'The report', schema: reportObject },
        404: { description: '`unknown_report`' },
      },
      handler: ({ params, body, auth }) => updateReportAsAdmin(rt, params.report_id, auth.user.id, body),
    }),
  ];
}
