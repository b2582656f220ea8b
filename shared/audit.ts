import type { Transaction } from 'sequelize';
import type { Runtime } from './runtime.js';
import { decodeSnowflake } from './snowflake.js';

/** Administrative actions recorded in a server's audit log. */
export const AUDIT_ACTIONS = [
  'server_update',
  'server_transfer',
  'channel_create',
  'channel_update',
  'channel_delete',
  'thread_create',
  'thread_update',
  'thread_delete',
  'overwrite_update',
  'overwrite_delete',
  'role_create',
  'role_update',
  'role_delete',
  'member_role_add',
  'member_role_remove',
  'member_update',
  'member_kick',
  'member_ban',
  'member_unban',
  'member_timeout',
  'member_move',
  'member_disconnect',
  'invite_create',
  'invite_delete',
  'webhook_create',
  'webhook_update',
  'webhook_delete',
  'event_webhook_create',
  'event_webhook_update',
  'event_webhook_delete',
  'emoji_create',
  'emoji_update',
  'emoji_delete',
  'attachment_upload',
  'bot_add',
  'report_update',
  'automod_rule_create',
  'automod_rule_update',
  'automod_rule_delete',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One changed field: its value before and after. */
export interface AuditChange {
  key: string;
  old?: unknown;
  new?: unknown;
}

/** The fields of `after` whose values differ from `before`, as audit changes. */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): AuditChange[] {
  return Object.keys(after)
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((key) => ({ key, old: before[key], new: after[key] }));
}

/** Records an administrative action (inside the caller's transaction when given). */
export async function recordAudit(
  rt: Pick<Runtime, 'models' | 'snowflake'>,
  entry: {
    serverId: string;
    actorId: string;
    action: AuditAction;
    targetType?: string;
    targetId?: string | null;
    changes?: AuditChange[];
    reason?: string | null;
  },
  transaction?: Transaction,
): Promise<void> {
  const id = rt.snowflake.next();
  await rt.models.AuditLog.create(
    {
      id,
      server_id: entry.serverId,
      actor_id: entry.actorId,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      changes: entry.changes ?? [],
      reason: entry.reason ?? null,
      created_at: new Date(decodeSnowflake(id).timestampMs),
    },
    { transaction },
  );
}
