// Browser pages driven in jsdom run in a process of their own (jest's module system cannot load
// jsdom's ES module dependencies): the test side spawns a driver script, the driver prints what the
// page showed as its last line, one JSON object.
import { spawnEntry } from './processes.js';

/** Test side: runs `driver` (a path from the repository root) with `plan`; answers its JSON line. */
export async function runPageDriver<T = Record<string, unknown>>(driver: string, plan: object): Promise<T> {
  const proc = spawnEntry(driver, {}, [JSON.stringify(plan)]);
  await proc.exited;
  const line = proc.output().trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`the page driver failed:\n${proc.output()}`);
  const result = JSON.parse(line) as T & { driverError?: string };
  if (result.driverError !== undefined) throw new Error(`the page driver failed: ${result.driverError}`);
  return result;
}

/** Driver side: polls until the page shows `what` (fails after about five seconds). */
export async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 250; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the page never showed ${what}`);
}

/** Driver side: runs `main` and prints its result, or the failure, as the one JSON line. */
export function report(main: () => Promise<Record<string, unknown>>): void {
  main().then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    },
    (err: unknown) => {
      process.stdout.write(
        `${JSON.stringify({ driverError: err instanceof Error ? err.message : String(err) })}\n`,
      );
      process.exitCode = 1;
    },
  );
}
