import type { Row } from '../../db/models/index.js';
import { ValidationError } from '../../errors.js';

/** What PATCH /channels/{thread_id} may change. */
export interface ThreadPatch {
  name?: string;
  archived?: boolean;
  locked?: boolean;
  auto_archive_minutes?: number;
}

/** The fields of PATCH /channels/{id} that only threads take. */
export const THREAD_ONLY_FIELDS: readonly string[] = ['archived', 'locked', 'auto_archive_minutes'];
/** Every field a thread takes. */
export const THREAD_FIELDS: readonly string[] = ['name', ...THREAD_ONLY_FIELDS];

/** 400 naming every field of `body` outside `allowed` (`what`: what does not take them). */
export function rejectFields(body: object, allowed: (key: string) => boolean, what: string): void {
  const errors: Record<string, string> = {};
  for (const key of Object.keys(body)) {
    if (!allowed(key)) errors[key] = `${key} cannot be set on ${what}`;
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
}

/** The audit entry's view of a thread. */
export function threadAuditFields(
  thread: Row<'Channel'>,
  meta: Row<'ThreadMetadata'>,
): Record<string, unknown> {
  return {
    name: thread.name,
    parent_id: thread.parent_id,
    archived: meta.archived,
    locked: meta.locked,
    auto_archive_minutes: meta.auto_archive_minutes,
  };
}
