import type { Runtime } from '../../shared/runtime.js';

/** How often the sweep runs (a thread archives at most this late). */
export const ARCHIVE_SWEEP_EVERY_MS = 60_000;

/** Registers the sweep as a repeating job of the `messages` queue (idempotent across workers). */
export async function scheduleThreadArchiving(rt: Runtime): Promise<void> {
  await rt.queues.messages.upsertJobScheduler(
    'archive-idle-threads',
    { every: ARCHIVE_SWEEP_EVERY_MS },
    { name: 'archive_idle_threads', data: { kind: 'archive_idle_threads' } },
  );
}
