import type { Config } from '../config/index.js';
import { absoluteUrl } from '../config/public-base.js';
import type { ReportNote, Row } from '../db/models/index.js';
import { resolveMessage } from './message.js';
import type { MessageObject, UserObject } from './types.js';
import { unixSeconds } from './time.js';

/** A report as moderators and admins see it. */
export interface ReportObject {
  id: string;
  reporter_id: string | null;
  server_id: string | null;
  target_type: 'user' | 'message';
  target_id: string;
  target_user_id: string;
  channel_id: string | null;
  reason: string;
  snapshot: Record<string, unknown>;
  status: 'open' | 'resolved' | 'dismissed';
  notes: ReportNote[];
  action_taken: string | null;
  resolved_by: string | null;
  resolved_at: number | null;
  created_at: number;
}

/** A report as its reporter sees it: what they reported and where it stands, not the moderators' notes. */
export type OwnReportObject = Pick<
  ReportObject,
  'id' | 'server_id' | 'target_type' | 'target_id' | 'reason' | 'status' | 'resolved_at' | 'created_at'
>;

/** A report as moderators see it; the snapshot's media URLs absolute (it stores them as stored). */
export function presentReport(config: Pick<Config, 'server'>, row: Row<'Report'>): ReportObject {
  return {
    id: row.id,
    reporter_id: row.reporter_id,
    server_id: row.server_id,
    target_type: row.target_type,
    target_id: row.message_id ?? row.target_user_id,
    target_user_id: row.target_user_id,
    channel_id: row.channel_id,
    reason: row.reason,
    snapshot: resolveSnapshot(config, row.snapshot),
    status: row.status,
    notes: row.notes,
    action_taken: row.action_taken,
    resolved_by: row.resolved_by,
    resolved_at: unixSeconds(row.resolved_at),
    created_at: unixSeconds(row.created_at),
  };
}

export function presentOwnReport(row: Row<'Report'>): OwnReportObject {
  return {
    id: row.id,
    server_id: row.server_id,
    target_type: row.target_type,
    target_id: row.message_id ?? row.target_user_id,
    reason: row.reason,
    status: row.status,
    resolved_at: unixSeconds(row.resolved_at),
    created_at: unixSeconds(row.created_at),
  };
}

/**
 * A snapshot (shared/domain/reports/file.ts: `{message, author}` or `{user, member?}`) with the
 * avatar and attachment URLs it stored as bare paths made absolute.
 */
function resolveSnapshot(
  config: Pick<Config, 'server'>,
  snapshot: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...snapshot };
  const user = (key: 'author' | 'user') => {
    const u = out[key] as UserObject | null | undefined;
    if (u) out[key] = { ...u, avatar_url: absoluteUrl(config, u.avatar_url ?? null) };
  };
  user('author');
  user('user');
  if (out.message) out.message = resolveMessage(config, out.message as MessageObject);
  return out;
}
