import type { Config } from '../../shared/config/index.js';
import type { CrashPoint } from '../../shared/outbox/index.js';
import { configEnv } from './config.js';
import { spawnEntry, type RoleProcess } from './processes.js';

/**
 * API processes that kill themselves right after a command's commit, before relaying anything
 * (the `outbox-after-commit` test fault): what a command leaves to its outbox row must then come
 * from the relay loop of the test app's workers. With `outbox-before-commit` they die just before
 * the commit instead: nothing of the command may be left. One per request; `killAll` in afterAll.
 */
export class DoomedApis {
  private readonly started: RoleProcess[] = [];

  constructor(
    private readonly config: () => Config,
    private readonly fault: CrashPoint = 'outbox-after-commit',
  ) {}

  /**
   * `method path body` (under /api/v1) with `token`, through an API process of its own that dies
   * after the command's commit (or before it, per the fault). Throws unless the process died by the fault without answering.
   * Returns the dead process (its output helps a failing test).
   */
  async send(token: string, method: string, path: string, body?: unknown): Promise<RoleProcess> {
    const proc = spawnEntry('api/main.ts', {
      ...configEnv(this.config()),
      PLEXICHAT_SERVER__PORT: '0',
      PLEXICHAT_LOG__LEVEL: 'info',
      PLEXICHAT_TEST_FAULT: this.fault,
    });
    this.started.push(proc);
    const port = (await proc.waitFor(/"port":(\d+)[^\n]*"api listening"/))[1] as string;
    const res = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).catch(() => null);
    if (res) {
      await proc.kill('SIGKILL');
      throw new Error(
        `${method} ${path} answered ${res.status} (${await res.text()}): no ${this.fault} fault killed it`,
      );
    }
    await proc.exited;
    if (proc.child.signalCode !== 'SIGKILL') {
      throw new Error(`the API exited (${proc.child.exitCode}) without the fault; output:\n${proc.output()}`);
    }
    return proc;
  }

  /** Kills whatever is still running (afterAll). */
  async killAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((p) => p.kill('SIGKILL')));
  }
}
