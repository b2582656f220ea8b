import { Op, type WhereOptions } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import { moderatorScope, type ReportQuery } from '../../shared/domain/reports/rules.js';
import {
  presentOwnReport,
  presentReport,
  type OwnReportObject,
  type ReportObject,
} from '../../shared/presenters/report.js';
import type { Runtime } from '../../shared/runtime.js';

// Report reads; filing and triage are domain commands (shared/domain/reports/).

function pageWhere(query: ReportQuery): WhereOptions<Row<'Report'>> {
  const where: Record<string | symbol, unknown> = {};
  if (query.status) where.status = query.status;
  if (query.before || query.after) {
    where.id = {
      ...(query.before ? { [Op.lt]: query.before } : {}),
      ...(query.after ? { [Op.gt]: query.after } : {}),
    };
  }
  return where;
}

function page(rt: Runtime, where: WhereOptions<Row<'Report'>>, query: ReportQuery) {
  return rt.models.Report.findAll({
    where,
    order: [['id', query.after ? 'ASC' : 'DESC']],
    limit: query.limit,
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
  return (await page(rt, { [Op.and]: [scope, pageWhere(query)] }, query)).map(presentReport);
}

/** GET /admin/reports: every report, or one server's. */
export async function listAllReports(rt: Runtime, query: ReportQuery): Promise<ReportObject[]> {
  const where = pageWhere(query) as Record<string, unknown>;
  if (query.server_id) where.server_id = query.server_id;
  return (await page(rt, where as WhereOptions<Row<'Report'>>, query)).map(presentReport);
}

/** GET /users/@me/reports: what the caller reported and where it stands. */
export async function listOwnReports(
  rt: Runtime,
  userId: string,
  query: ReportQuery,
): Promise<OwnReportObject[]> {
  return (await page(rt, { [Op.and]: [{ reporter_id: userId }, pageWhere(query)] }, query)).map(
    presentOwnReport,
  );
}
