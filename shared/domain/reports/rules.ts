import { Op, type WhereOptions } from 'sequelize';
import type { ReportAction, ReportStatus, Row } from '../../db/models/index.js';
import { ApiError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import type { Effects } from '../../outbox/index.js';
import { ServerPolicy, viewableServerChannels } from '../../permissions/index.js';
import { presentReport } from '../../presenters/report.js';
import type { Runtime } from '../../runtime.js';
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

/** 403 for someone with none of the moderator permissions. */
export const NOT_A_MODERATOR = new ApiError(
  403,
  'missing_permission',
  'Missing permission: one of KICK_MEMBERS, BAN_MEMBERS, MANAGE_MESSAGES, MODERATE_MEMBERS',
  undefined,
  { permission: 'KICK_MEMBERS | BAN_MEMBERS | MANAGE_MESSAGES | MODERATE_MEMBERS' },
);

/** The moderator's policy and the channels whose message reports they may read. */
export async function moderatorScope(rt: Runtime, serverId: string, userId: string) {
  const policy = await ServerPolicy.load(rt, serverId, userId);
  if (!isModerator(policy)) throw NOT_A_MODERATOR;
  const channels = await viewableServerChannels(rt.models, policy.facts, { threads: true });
  return {
    server_id: serverId,
    [Op.or]: [{ channel_id: null }, { channel_id: channels.map((c) => c.id) }],
  } as WhereOptions<Row<'Report'>>;
}

/** Who hears about a report: its server's moderators who can see it, and every instance admin. */
async function audience(rt: Runtime, report: Row<'Report'>): Promise<string[]> {
  const channel = report.channel_id ? await rt.models.Channel.findByPk(report.channel_id) : null;
  const mods = report.server_id ? await serverModerators(rt, report.server_id, channel) : [];
  return [...new Set([...mods, ...(await instanceAdmins(rt))])];
}

/** REPORT_CREATE or REPORT_UPDATE to the report's audience, after the commit. */
export async function announceReport(
  rt: Runtime,
  fx: Effects,
  report: Row<'Report'>,
  t: 'REPORT_CREATE' | 'REPORT_UPDATE',
): Promise<void> {
  const users = await audience(rt, report);
  if (users.length > 0) fx.dispatch(users.map(rooms.user), t, presentReport(rt.config, report));
}
