import type { Request } from 'express';
import { truncateText } from '../../shared/text.js';

/**
 * The optional reason for an administrative action, from the `X-Audit-Log-Reason` header
 * (URL-encoded like Discord's, at most 512 characters); null when absent.
 */
export function auditReason(req: Request): string | null {
  const raw = req.headers['x-audit-log-reason'];
  if (typeof raw !== 'string' || raw.length === 0) return null;
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {
    // not URL-encoded: keep it as sent
  }
  return truncateText(text, 512);
}
