import { Op, UniqueConstraintError, type WhereOptions } from 'sequelize';
import { recordAudit, type AuditChange } from '../../shared/audit.js';
import type { ReportAction, ReportStatus, Row } from '../../shared/db/models/index.js';
import { rooms } from '../../shared/events/index.js';
import { ApiError, ConflictError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { Permission, ServerPolicy, viewableServerChannels } from '../../shared/permissions/index.js';
import { presentMessage } from '../../shared/presenters/message.js';
import {
  presentOwnReport,
  presentReport,
  type OwnReportObject,
  type ReportObject,
} from '../../shared/presenters/report.js';
import { unixSeconds } from '../../shared/presenters/time.js';
import { presentUser } from '../../shared/presenters/user.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { messageAccess } from '../messages/access.js';
import { instanceAdmins, isModerator, serverModerators } from './moderators.js';

/** POST /reports. */
export interface ReportInput {
  target_type: 'user' | 'message';
  target_id: string;
  reason: string;
  /** A user report: the server it happened in (its moderators get it); none: instance admins only. */
  server_id?: string;
}

/** A page of reports. */
export interface ReportQuery {
  status?: ReportStatus;
  server_id?: string;
  limit: number;
  before?: string;
  after?: string;
}

/** PATCH on a report by a moderator or an admin. */
export interface ReportPatch {
  status?: ReportStatus;
  note?: string;
  action_taken?: ReportAction;
}

const NOT_A_MODERATOR = new ApiError(
  403,
  'missing_permission',
  'Missing permission: one of KICK_MEMBERS, BAN_MEMBERS, MANAGE_MESSAGES, MODERATE_MEMBERS',
  undefined,
  { permission: 'KICK_MEMBERS | BAN_MEMBERS | MANAGE_MESSAGES | MODERATE_MEMBERS' },
);

/** Who hears about a report: its server's moderators who can see it, and every instance admin. */
async function audience(rt: Runtime, report: Row<'Report'>): Promise<string[]> {
  const channel = report.channel_id ? await rt.models.Channel.findByPk(report.channel_id) : null;
  const mods = report.server_id ? await serverModerators(rt, report.server_id, channel) : [];
  return [...new Set([...mods, ...(await instanceAdmins(rt))])];
}

async function announce(
  rt: Runtime,
  report: Row<'Report'>,
  t: 'REPORT_CREATE' | 'REPORT_UPDATE',
): Promise<void> {
  const users = await audience(rt, report);
  if (users.length > 0) await rt.events.dispatch(users.map(rooms.user), t, presentReport(report));
}

/** What is being reported, checked against what the reporter may see, with its snapshot. */
async function resolveTarget(rt: Runtime, reporterId: string, input: ReportInput) {
  if (input.target_type === 'message') {
    if (input.server_id !== undefined) {
      throw new ValidationError({
        server_id: 'only for user reports: a message report goes to its own server',
      });
    }
    const message = await rt.models.Message.findByPk(input.target_id);
    if (!message) throw new NotFoundError('message');
    // A message in a channel the reporter cannot read is as unknown as a missing one.
    const access = await messageAccess(
      rt,
      message.channel_id,
      reporterId,
      Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY,
    ).catch(() => {
      throw new NotFoundError('message');
    });
    if (message.author_id === reporterId && !message.webhook_id) {
      throw new ValidationError({ target_id: 'you cannot report your own message' });
    }
    const author = await rt.models.User.findByPk(message.author_id);
    return {
      server_id: access.channel.server_id,
      target_user_id: message.author_id,
      channel_id: message.channel_id,
      message_id: message.id,
      snapshot: { message: presentMessage(message), author: author ? presentUser(author) : null },
    };
  }
  if (input.target_id === reporterId) throw new ValidationError({ target_id: 'you cannot report yourself' });
  const target = await rt.models.User.findByPk(input.target_id);
  if (!target) throw new NotFoundError('user');
  let member: Row<'Member'> | null = null;
  if (input.server_id !== undefined) {
    await ServerPolicy.load(rt, input.server_id, reporterId);
    member = await rt.models.Member.findOne({ where: { server_id: input.server_id, user_id: target.id } });
    if (!member) throw new NotFoundError('member');
  }
  return {
    server_id: input.server_id ?? null,
    target_user_id: target.id,
    channel_id: null,
    message_id: null,
    snapshot: {
      user: presentUser(target),
      ...(member ? { member: { nick: member.nick ?? null, joined_at: unixSeconds(member.joined_at) } } : {}),
    },
  };
}

/** Files a report; its moderators (and admins) get REPORT_CREATE. One open report per reporter and target. */
export async function createReport(
  rt: Runtime,
  reporterId: string,
  input: ReportInput,
): Promise<OwnReportObject> {
  const target = await resolveTarget(rt, reporterId, input);
  const id = rt.snowflake.next();
  let report: Row<'Report'>;
  try {
    report = await rt.models.Report.create({
      id,
      reporter_id: reporterId,
      target_type: input.target_type,
      reason: input.reason,
      ...target,
      created_at: new Date(decodeSnowflake(id).timestampMs),
    });
  } catch (err) {
    if (err instanceof UniqueConstraintError) {
      throw new ConflictError('already_reported', 'You already have an open report about this');
    }
    throw err;
  }
  await announce(rt, report, 'REPORT_CREATE');
  return presentOwnReport(report);
}

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

/** The moderator's policy and the channels whose message reports they may read. */
async function moderatorScope(rt: Runtime, serverId: string, userId: string) {
  const policy = await ServerPolicy.load(rt, serverId, userId);
  if (!isModerator(policy)) throw NOT_A_MODERATOR;
  const channels = await viewableServerChannels(rt.models, policy.facts, { threads: true });
  return {
    server_id: serverId,
    [Op.or]: [{ channel_id: null }, { channel_id: channels.map((c) => c.id) }],
  } as WhereOptions<Row<'Report'>>;
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
  if (changes.length === 0) return presentReport(report);
  await report.save();
  if (report.server_id) {
    await recordAudit(rt, {
      serverId: report.server_id,
      actorId,
      action: 'report_update',
      targetType: 'report',
      targetId: report.id,
      changes,
      reason,
    });
  }
  await announce(rt, report, 'REPORT_UPDATE');
  return presentReport(report);
}

/** PATCH /servers/{id}/reports/{report_id}: a moderator triages a report they can see. */
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

/** PATCH /admin/reports/{report_id}: an instance admin triages any report. */
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
