import net from 'node:net';
import { runSelftest } from '../shared/selftest/run.js';
import { useTestApp } from './helpers/app.js';
import { api, registerUser, setAdminByHand } from './helpers/accounts.js';
import { spawnEntry } from './helpers/processes.js';

const app = useTestApp({}, 60_000);
// No workers: messages are accepted but never stored or delivered.
const broken = useTestApp({ workers: false }, 60_000);

/** A port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function selftestCli(url: string) {
  const proc = spawnEntry('selftest.ts', { HOME: '/tmp' }, ['--url', url, '--timeout-ms', '3000']);
  const code = await proc.exited;
  return { code, output: proc.output() };
}

describe('npm run selftest', () => {
  it('passes every check against a healthy instance and prints the table', async () => {
    const results = await runSelftest({ url: app.origin });
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['health', true],
      ['register', true],
      ['login', true],
      ['gateway', true],
      ['server and channel', true],
      ['message round trip', true],
      ['upload', true],
      ['webhook', true],
    ]);
    const cli = await selftestCli(app.origin);
    expect(cli.output).toMatch(/^check\s+result\s+time\s+detail\n/);
    expect(cli.output).toMatch(/^message round trip\s+PASS/m);
    expect(cli.output).toMatch(/all 8 checks passed\n$/);
    expect(cli.code).toBe(0);
  }, 60_000);

  it('fails clearly against an instance whose workers are down', async () => {
    const cli = await selftestCli(broken.origin);
    expect(cli.code).toBe(1);
    expect(cli.output).toMatch(/^health\s+PASS/m);
    expect(cli.output).toMatch(
      /^message round trip\s+FAIL\s+\d+ ms\s+(POST \S+: no answer within 3000 ms|no matching gateway event within 3000 ms)/m,
    );
    expect(cli.output).toMatch(/checks failed\n$/);
  }, 60_000);

  it('fails clearly when nothing answers, skipping what depends on it', async () => {
    const results = await runSelftest({ url: `http://127.0.0.1:${await deadPort()}`, timeoutMs: 2000 });
    expect(results[0]).toMatchObject({ name: 'health', ok: false });
    expect(results[0]?.detail).toMatch(/fetch failed|ECONNREFUSED/);
    expect(results.slice(1).every((r) => !r.ok && r.detail.startsWith('skipped'))).toBe(true);
  });

  it('refuses a missing or bad --url', async () => {
    const none = spawnEntry('selftest.ts', { HOME: '/tmp' }, []);
    expect(await none.exited).toBe(2);
    expect(none.output()).toMatch(/Usage: npm run selftest/);
    const bad = spawnEntry('selftest.ts', { HOME: '/tmp' }, ['--url', 'not a url']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/is not a URL/);
  });
});

describe('POST /admin/selftest', () => {
  it('runs the checks from inside for admins; others are refused (403)', async () => {
    const user = await registerUser(app);
    expect((await api(app, 'POST', '/admin/selftest', { token: user.token })).status).toBe(403);
    await setAdminByHand(app, user.id, true);
    const res = await api(app, 'POST', '/admin/selftest', { token: user.token });
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(res.body.checks).toHaveLength(8);
  }, 60_000);
});
