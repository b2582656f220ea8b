import { pino } from 'pino';
import { adminLogKey } from '../../shared/admin-log.js';
import type { Runtime } from '../../shared/runtime.js';

/** GET /admin/logs filters. */
export interface LogQuery {
  /** Lowest level shown. */
  level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug';
  role?: string;
  request_id?: string;
  /** Text the line must contain (case-insensitive). */
  q?: string;
  /** A stream id: entries older than it. */
  before?: string;
  limit: number;
}

/** Most stream entries read to fill one page when filters are selective. */
const SCAN_LIMIT = 5000;

/** One entry: the stream id (the paging cursor), its level's name, and the logged fields. */
export interface LogEntry {
  id: string;
  level: string;
  time: number;
  role: string | null;
  msg: string | null;
  fields: Record<string, unknown>;
}

/**
 * The recent structured log of every process (shared/admin-log.ts), newest first, filtered by
 * level, role, request id and text. Reads at most SCAN_LIMIT entries per page: a very selective
 * filter may answer a short page; page on with `before` = the last id.
 */
export async function readAdminLog(rt: Runtime, query: LogQuery): Promise<LogEntry[]> {
  const min = query.level ? (pino.levels.values[query.level] ?? 0) : 0;
  const needle = query.q?.toLowerCase();
  const out: LogEntry[] = [];
  let end = query.before ? `(${query.before}` : '+';
  let scanned = 0;
  while (out.length < query.limit && scanned < SCAN_LIMIT) {
    const batch = await rt.redis.xrevrange(adminLogKey(rt.config), end, '-', 'COUNT', 500);
    if (batch.length === 0) break;
    scanned += batch.length;
    for (const [id, values] of batch) {
      end = `(${id}`;
      const line = values[1] ?? '';
      if (needle && !line.toLowerCase().includes(needle)) continue;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      const { level, time, role, msg, reqId, req, ...fields } = parsed;
      if (typeof level !== 'number' || level < min) continue;
      if (query.role && role !== query.role) continue;
      const requestId = typeof reqId === 'string' ? reqId : (req as { id?: unknown } | undefined)?.id;
      if (query.request_id && requestId !== query.request_id) continue;
      out.push({
        id,
        level: pino.levels.labels[level] ?? String(level),
        time: typeof time === 'number' ? time : 0,
        role: typeof role === 'string' ? role : null,
        msg: typeof msg === 'string' ? msg : null,
        fields: {
          ...fields,
          ...(req !== undefined ? { req } : {}),
          ...(requestId ? { request_id: requestId } : {}),
        },
      });
      if (out.length >= query.limit) break;
    }
  }
  return out;
}
