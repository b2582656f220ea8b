import { api, registerUser, setAdminByHand, type TestUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { configEnv, testConfig } from '../../helpers/config.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { spawnEntry, type RoleProcess } from '../../helpers/processes.js';

// GET /admin/stats counts every live process of the instance, not only the one that answers.

const BEAT_SECONDS = 0.3;

let admin: TestUser;
let gateway: RoleProcess;
let gatewayOrigin: string;
const clients: GatewayClient[] = [];

interface Figures {
  gateway_sessions: number;
  http_requests: number;
}
interface Stats {
  process: Figures & { id: string; role: string };
  processes: (Figures & { id: string; role: string })[];
  instance: Figures & { processes: number; roles: Record<string, number> };
}

/** Reads the stats until `done` holds (processes publish on their own beat). */
async function statsUntil(done: (s: Stats) => boolean): Promise<Stats> {
  let last: Stats | null = null;
  for (let i = 0; i < 150; i += 1) {
    const res = await api(app, 'GET', '/admin/stats', { token: admin.token });
    expect(res.status).toBe(200);
    const stats: Stats = res.body;
    last = stats;
    if (done(stats)) return stats;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`stats never reached the expected state: ${JSON.stringify(last)}`);
}

const app = useTestApp({ config: testConfig({ metrics: { stats_interval_seconds: BEAT_SECONDS } }) }, 60000);
beforeAll(async () => {
  admin = await registerUser(app);
  await setAdminByHand(app, admin.id, true);
  gateway = spawnEntry('gateway/main.ts', {
    ...configEnv(app.config),
    PLEXICHAT_GATEWAY__PORT: '0',
    PLEXICHAT_METRICS__STATS_INTERVAL_SECONDS: String(BEAT_SECONDS),
  });
  gatewayOrigin = `http://127.0.0.1:${(await gateway.waitFor(/GATEWAY_LISTENING (\d+)/))[1]}`;
}, 60000);

afterAll(async () => {
  for (const c of clients) c.close();
  await gateway?.kill('SIGKILL');
});

describe('GET /admin/stats across processes', () => {
  it('adds up the gateway sessions of every process, and lists each process', async () => {
    const user = await registerUser(app);
    clients.push(await connectGateway(app.origin, { token: user.token }));
    for (let i = 0; i < 2; i += 1) clients.push(await connectGateway(gatewayOrigin, { token: user.token }));

    const stats = await statsUntil((s) => s.instance.gateway_sessions === 3);
    expect(stats.instance.processes).toBe(2);
    expect(stats.instance.roles).toEqual({ gateway: 1, test: 1 });
    const byRole = Object.fromEntries(stats.processes.map((p) => [p.role, p]));
    expect(byRole.gateway?.gateway_sessions).toBe(2);
    expect(byRole.test?.gateway_sessions).toBe(1);
    // The answering process is one of them, counted once.
    expect(stats.process).toMatchObject({ role: 'test', gateway_sessions: 1 });
    expect(stats.processes.filter((p) => p.id === stats.process.id)).toHaveLength(1);
    expect(stats.instance.http_requests).toBe(stats.processes.reduce((n, p) => n + p.http_requests, 0));
  });

  it('drops a process that died once its figures expire', async () => {
    await gateway.kill('SIGKILL');
    const stats = await statsUntil((s) => s.instance.processes === 1);
    expect(stats.instance.roles).toEqual({ test: 1 });
    expect(stats.instance.gateway_sessions).toBe(stats.process.gateway_sessions);
  });
});
