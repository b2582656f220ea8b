import { Op } from 'sequelize';
import { recordAudit, type AuditChange } from '../../audit.js';
import type { Row } from '../../db/models/index.js';
import { NotFoundError } from '../../errors.js';
import { runCommand } from '../../outbox/index.js';
import { presentReport, type ReportObject } from '../../presenters/report.js';
import type { Runtime } from '../../runtime.js';
import { announceReport, moderatorScope, type ReportPatch } from './rules.js';

/** Applies a triage patch: status, action taken, a note. Audited as report_update (server reports). */
async function applyPatch(
  rt: Runtime,
  report: Row<'Report'>,
  actorId: string,
  patch: ReportPatch,
  reason: string | null,
): Promise<ReportObject> {
  const changes: AuditChange[] = [];
  if (patch.status !== undefined && patch.status !== report.status) {
    changes.push({ key: 'status', old: report.status, new: patch.status });
    report.status = patch.status;
    const closed = patch.status !== 'open';
    report.resolved_by = closed ? actorId : null;
    report.resolved_at = closed ? new Date() : null;
  }
  if (patch.action_taken !== undefined && patch.action_taken !== report.action_taken) {
    changes.push({ key: 'action_taken', old: report.action_taken, new: patch.action_taken });
    report.action_taken = patch.action_taken;
  }
  if (patch.note !== undefined) {
    changes.push({ key: 'note', new: patch.note });
    report.notes = [
      ...report.notes,
      { author_id: actorId, content: patch.note, created_at: Math.floor(Date.now() / 1000) },
    ];
  }
  if (changes.length === 0) return presentReport(rt.config, report);
  return runCommand(rt, null, async (transaction, fx) => {
    await report.save({ transaction });
    if (report.server_id) {
      await recordAudit(
        rt,
        {
          serverId: report.server_id,
          actorId,
          action: 'report_update',
          targetType: 'report',
          targetId: report.id,
          changes,
          reason,
        },
        transaction,
      );
    }
    await announceReport(rt, fx, report, 'REPORT_UPDATE');
    return presentReport(rt.config, report);
  });
}

/** A server's moderator triages a report they can see. */
export async function updateServerReport(
  rt: Runtime,
  serverId: string,
  reportId: string,
  userId: string,
  patch: ReportPatch,
  reason: string | null,
): Promise<ReportObject> {
  const scope = await moderatorScope(rt, serverId, userId);
  const report = await rt.models.Report.findOne({ where: { [Op.and]: [scope, { id: reportId }] } });
  if (!report) throw new NotFoundError('report');
  return applyPatch(rt, report, userId, patch, reason);
}

/** An instance admin triages any report. */
export async function updateReportAsAdmin(
  rt: Runtime,
  reportId: string,
  adminId: string,
  patch: ReportPatch,
): Promise<ReportObject> {
  const report = await rt.models.Report.findByPk(reportId);
  if (!report) throw new NotFoundError('report');
  return applyPatch(rt, report, adminId, patch, null);
}
