import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './processes.js';

/**
 * Loaded into a role process (`node --import`, see faultInjectionEnv) to make the bugs its process
 * guards exist for happen on demand, outside any handler of ours: each SIGUSR2 causes the next
 * fault of PLEXICHAT_TEST_FAULTS (comma-separated): `reject` leaves a promise rejection unhandled
 * (`reject*N`: N of them at once), `throw` throws from a timer callback (an uncaught exception). With PLEXICHAT_TEST_FAULT_ROLE set,
 * only a process `npm start` supervises in that role (web, workers, voice) takes part.
 */

/** The secret the injected rejection carries as `token`: it must never reach a log line. */
export const INJECTED_SECRET = 'injected-secret-0123456789abcdef';

/** What a process needs in its environment (on top of its own) to load this file. */
export function faultInjectionEnv(
  faults: (`reject*${number}` | 'reject' | 'throw')[],
  role?: string,
): Record<string, string> {
  const self = pathToFileURL(path.join(ROOT, 'test/helpers/fault-injection.ts')).href;
  return {
    // tsx first, so that this file (TypeScript) can be loaded.
    NODE_OPTIONS: `--import tsx --import ${self}`,
    PLEXICHAT_TEST_FAULTS: faults.join(','),
    ...(role ? { PLEXICHAT_TEST_FAULT_ROLE: role } : {}),
  };
}

const faults = (process.env.PLEXICHAT_TEST_FAULTS ?? '').split(',').filter(Boolean);
const role = process.env.PLEXICHAT_TEST_FAULT_ROLE;
if (faults.length > 0 && (!role || process.env.PLEXICHAT_SUPERVISED_ROLE === role)) {
  process.on('SIGUSR2', () => {
    const fault = faults.shift();
    setImmediate(function injectedFault() {
      if (fault?.startsWith('reject')) {
        const count = Number(fault.split('*')[1] ?? 1);
        for (let i = 0; i < count; i++) {
          const err = Object.assign(new Error('injected rejection'), { token: INJECTED_SECRET });
          // Left unhandled on purpose: this is the bug being simulated.
          void Promise.reject(err);
        }
      } else if (fault === 'throw') {
        throw new Error('injected exception');
      }
    });
  });
}
