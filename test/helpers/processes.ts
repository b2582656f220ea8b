import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the tests run role entry points from their TypeScript sources). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** How long after its exit a process's pipes may stay open before its output counts as complete. */
const CLOSE_GRACE_MS = 5000;

/** A role running in its own process. */
export interface RoleProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in stdout+stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process exited and its output was read to the end. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `<role>/main.ts` (or another entry) under tsx with the given environment and arguments.
 * PLEXICHAT_TEST_NODE_OPTIONS goes first in its NODE_OPTIONS: the only way through the otherwise
 * bare environment for what scripts/test-on-node.sh needs in every node process (a hook that loads
 * a native addon compiled for that node).
 */
export function spawnEntry(entry: string, env: NodeJS.ProcessEnv, args: string[] = []): RoleProcess {
  const nodeOptions = [process.env.PLEXICHAT_TEST_NODE_OPTIONS, env.NODE_OPTIONS].filter(Boolean).join(' ');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...env,
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  // 'exit' can come before the last of the output was read off the pipes (node says the stdio
  // streams may still be open then): a test reading output() or waiting for a line right after the
  // exit missed what the process wrote last. 'close' comes once both pipes ended. A process the
  // child started with its stdio (the supervisor's roles) can hold them open past the child's exit,
  // so once the child is gone its output is taken as complete after CLOSE_GRACE_MS at the most.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))).then(
    async (code) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        closed,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CLOSE_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      return code;
    },
  );
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 20000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = out.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${String(pattern)}; output:\n${out}`));
        }, timeoutMs);
        void exited.then((code) => {
          if (!out.match(pattern)) {
            cleanup();
            reject(new Error(`process exited (${code}) before ${String(pattern)}; output:\n${out}`));
          }
        });
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
