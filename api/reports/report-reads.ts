import { Op, type WhereOptions } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import { pageBy } from '../../shared/pagination.js';
import { moderatorScope, type ReportQuery } from '../../shared/domain/reports/rules.js';
import {
  presentOwnReport,
  presentReport,
  type OwnReportObject,
  type ReportObject,
} from '../../shared/presenters/report.js';
import type { Runtime } from '../../shared/runtime.js';

// Report reads; filing and triage are domain commands (shared/domain/reports/).

/** One page of the reports `where` selects, of `query.status` if given. */
function page(rt: Runtime, where: WhereOptions<Row<'Report'>>, query: ReportQuery) {
  const cursor = pageBy('id', query);
  return rt.models.Report.findAll({
    where: { [Op.and]: [where, { ...(query.status ? { status: query.status } : {}), ...cursor.where }] },
    order: cursor.order,
    limit: cursor.limit,
  });
}

/** GET /servers/{id}/reports: moderators only; message reports only from channels they can see. */
export async function listServerReports(
  rt: Runtime,
  serverId: string,
  userId: string,
  query: ReportQuery,
): Promise<ReportObject[]> {
  const scope = await moderatorScope(rt, serverId, userId);
  return (await page(rt, scope, query)).map((r) => presentReport(rt.config, r));
}

/** GET /admin/reports: every report, or one server's. */
export async function listAllReports(rt: Runtime, query: ReportQuery): Promise<ReportObject[]> {
  return (await page(rt, query.server_id ? { server_id: query.server_id } : {}, query)).map((r) =>
    presentReport(rt.config, r),
  );
}

/** GET /users/@me/reports: what the caller reported and where it stands. */
export async function listOwnReports(
  rt: Runtime,
  userId: string,
  query: ReportQuery,
): Promise<OwnReportObject[]> {
  return (await page(rt, { reporter_id: userId }, query)).map(presentOwnReport);
}
