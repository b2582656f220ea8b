import type { Runtime } from '../runtime.js';

/** Where a test may make a process die (PLEXICHAT_TEST_FAULT). */
export type CrashPoint = 'outbox-after-commit' | 'outbox-before-commit';

/**
 * Test-only fault injection: with `mode: test` and PLEXICHAT_TEST_FAULT naming `point`, the process
 * kills itself (SIGKILL, no clean-up) when it gets there. outbox-after-commit: a command has
 * committed its change and outbox row, and relayed nothing; outbox-before-commit: a command has
 * written its change and outbox row and not committed them (Postgres rolls them back), so whatever
 * it did outside its transaction is all that is left. Any other mode ignores the variable.
 */
export function crashPoint(rt: Pick<Runtime, 'config'>, point: CrashPoint): void {
  if (rt.config.mode === 'test' && process.env.PLEXICHAT_TEST_FAULT === point)
    process.kill(process.pid, 'SIGKILL');
}
