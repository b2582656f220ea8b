import type { ReportNote, Row } from '../db/models/index.js';
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

export function presentReport(row: Row<'Report'>): ReportObject {
  return {
    id: row.id,
    reporter_id: row.reporter_id,
    server_id: row.server_id,
    target_type: row.target_type,
    target_id: row.message_id ?? row.target_user_id,
    target_user_id: row.target_user_id,
    channel_id: row.channel_id,
    reason: row.reason,
    snapshot: row.snapshot,
    status: row.status,
    notes: row.notes,
    action_taken: row.action_taken,
    resolved_by: row.resolved_by,
    resolved_at: unixSeconds(row.resolved_at),
    created_at: unixSeconds(row.created_at),
  };
}

export function presentOwnReport(row: Row<'Report'>): OwnReportObject {
  const full = presentReport(row);
  return {
    id: full.id,
    server_id: full.server_id,
    target_type: full.target_type,
    target_id: full.target_id,
    reason: full.reason,
    status: full.status,
    resolved_at: full.resolved_at,
    created_at: full.created_at,
  };
}
