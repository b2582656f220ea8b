import { registerUser } from '../helpers/accounts.js';
import { useTestApp } from '../helpers/app.js';
import { configEnv, testConfig } from '../helpers/config.js';
import { INJECTED_SECRET, faultInjectionEnv } from '../helpers/fault-injection.js';
import { connectGateway, type GatewayClient } from '../helpers/gateway-client.js';
import { spawnEntry, type RoleProcess } from '../helpers/processes.js';
import { until } from '../helpers/services.js';
import { LogBudget, UNCAUGHT_EXCEPTION_EXIT_CODE } from '../../shared/process-guards.js';

// shared/process-guards.ts over real role processes: the faults are bugs caused on demand, outside
// any handler of ours, by test/helpers/fault-injection.ts (each SIGUSR2 causes the next one).

const app = useTestApp({}, 60000);
const processes: RoleProcess[] = [];
const clients: GatewayClient[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(processes.map((p) => p.kill('SIGKILL')));
});

function spawn(entry: string, env: NodeJS.ProcessEnv): RoleProcess {
  const proc = spawnEntry(entry, env);
  processes.push(proc);
  return proc;
}

/** The JSON log lines of a process's output whose `msg` matches. */
function logLines(proc: RoleProcess, msg: RegExp): Record<string, unknown>[] {
  return proc
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => typeof line.msg === 'string' && msg.test(line.msg));
}

describe('the unhandled-rejection log budget', () => {
  it('logs 20 a minute, leaves the rest out, and the next line logged says how many', () => {
    const budget = new LogBudget(20, 60_000);
    const t0 = 1_000_000;
    const first = Array.from({ length: 20 }, (_, i) => budget.take(t0 + i));
    expect(first).toEqual(Array(20).fill(0));
    expect([budget.take(t0 + 100), budget.take(t0 + 59_999), budget.take(t0 + 30_000)]).toEqual([
      null,
      null,
      null,
    ]);
    // A new window: logged again, carrying the count of the three left out; then back to none.
    expect(budget.take(t0 + 60_000)).toBe(3);
    expect(budget.take(t0 + 60_001)).toBe(0);
  });
});

describe('a role process', () => {
  it('logs an unhandled rejection with its stack (20 a minute at most), counts each and keeps its connections; an uncaught exception is logged fatal and ends it with 70', async () => {
    const gateway = spawn('gateway/main.ts', {
      ...configEnv(app.config),
      PLEXICHAT_GATEWAY__PORT: '0',
      PLEXICHAT_LOG__LEVEL: 'warn',
      PLEXICHAT_METRICS__ENABLED: 'true',
      ...faultInjectionEnv(['reject', 'reject*25', 'throw']),
    });
    const port = (await gateway.waitFor(/GATEWAY_LISTENING (\d+)/, 120000))[1] as string;
    const origin = `http://127.0.0.1:${port}`;
    const user = await registerUser(app);
    const client = await connectGateway(origin, { token: user.token });
    clients.push(client);

    process.kill(gateway.child.pid as number, 'SIGUSR2');
    await gateway.waitFor(/unhandled promise rejection/);
    const [line] = logLines(gateway, /unhandled promise rejection/);
    expect(line).toMatchObject({ level: 50, role: 'gateway', err: { message: 'injected rejection' } });
    const err = line?.err as { stack: string; token: string };
    // The stack names where the promise was rejected.
    expect(err.stack).toContain('injectedFault');
    expect(err.token).toBe('[redacted]');
    expect(gateway.output()).not.toContain(INJECTED_SECRET);
    const metrics = await (await fetch(`${origin}/metrics`)).text();
    expect(metrics).toMatch(/^plexichat_unhandled_rejections_total 1$/m);
    // The connection held before the fault is still served.
    expect(client.socket.connected).toBe(true);
    expect(await client.command('presence_update', { status: 'idle' })).toMatchObject({ ok: true });

    // A burst (a client able to trigger the bug at will): every one counted, 20 a minute logged.
    process.kill(gateway.child.pid as number, 'SIGUSR2');
    const logged = () => logLines(gateway, /unhandled promise rejection/).length;
    await until(() => logged() >= 20, '20 rejections logged');
    const after = await (await fetch(`${origin}/metrics`)).text();
    expect(after).toMatch(/^plexichat_unhandled_rejections_total 26$/m);
    expect(logged()).toBe(20);
    expect(client.socket.connected).toBe(true);

    const closed = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
    process.kill(gateway.child.pid as number, 'SIGUSR2');
    expect(await gateway.exited).toBe(UNCAUGHT_EXCEPTION_EXIT_CODE);
    const [fatal] = logLines(gateway, /uncaught exception/);
    expect(fatal).toMatchObject({ level: 60, role: 'gateway', err: { message: 'injected exception' } });
    expect((fatal?.err as { stack: string }).stack).toContain('injectedFault');
    expect(await closed).toBeTruthy();
  }, 180000);
});

describe('npm start (supervisor)', () => {
  it('restarts a web process that an uncaught exception ended, and serves on', async () => {
    const config = testConfig();
    const main = spawn('main.ts', {
      ...configEnv(config),
      PLEXICHAT_LOG__LEVEL: 'info',
      PLEXICHAT_SERVER__PORT: '0',
      PLEXICHAT_START__MODE: 'multi',
      PLEXICHAT_START__WEB_PROCESSES: '1',
      PLEXICHAT_START__WORKER_PROCESSES: '1',
      PLEXICHAT_VOICE__ENABLED: 'false',
      ...faultInjectionEnv(['throw'], 'web'),
    });
    const [, port] = await main.waitFor(/Plexichat is running: http:\/\/127\.0\.0\.1:(\d+)\/api\/v1/, 150000);
    const health = `http://127.0.0.1:${port}/api/v1/health`;
    const webPids = () =>
      logLines(main, /^process ready$/)
        .filter((l) => l.role === 'web')
        .map((l) => l.pid as number);
    // The supervisor's "process ready" line goes out through pino's asynchronous stdout writer, so it
    // can trail the "running" line written directly: CI once read no web pid here.
    await until(() => webPids().length === 1, 'the web process ready line');
    const [first] = webPids();
    expect((await fetch(health)).status).toBe(200);

    process.kill(first as number, 'SIGUSR2');
    await main.waitFor(/"msg":"process died; restarting"/, 30000);
    expect(logLines(main, /^process died; restarting$/)[0]).toMatchObject({
      role: 'web',
      code: UNCAUGHT_EXCEPTION_EXIT_CODE,
    });
    // The web process's own fatal line made it out before it exited.
    expect(logLines(main, /uncaught exception/)[0]).toMatchObject({
      level: 60,
      err: { message: 'injected exception' },
    });
    await until(() => webPids().length === 2, 'a new web process', 60000);
    expect(webPids()[1]).not.toBe(first);
    expect((await fetch(health)).status).toBe(200);
    expect(await main.kill('SIGTERM')).toBe(0);
  }, 300000);
});
