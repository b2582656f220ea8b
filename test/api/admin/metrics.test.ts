import { startTestApp, type TestApp, useTestApp } from '../../helpers/app.js';
import { api, randomIp, registerUser, setAdminByHand, type TestUser } from '../../helpers/accounts.js';
import { testConfig } from '../../helpers/config.js';
import { createServerWithChannel } from '../../helpers/factories.js';
import { connectGateway } from '../../helpers/gateway-client.js';

/** `name{a="x",b="y"} value` lines of a Prometheus exposition, as name -> [labels, value]. */
function parse(text: string): Map<string, { labels: Record<string, string>; value: number }[]> {
  const out = new Map<string, { labels: Record<string, string>; value: number }[]>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable metrics line: ${line}`);
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    const rows = out.get(m[1] as string) ?? [];
    rows.push({ labels: labels as Record<string, string>, value: Number(m[3]) });
    out.set(m[1] as string, rows);
  }
  return out;
}

/** The sum of a metric's samples whose labels include `match`. */
function value(metrics: ReturnType<typeof parse>, name: string, match: Record<string, string> = {}): number {
  return (metrics.get(name) ?? [])
    .filter((r) => Object.entries(match).every(([k, v]) => r.labels[k] === v))
    .reduce((n, r) => n + r.value, 0);
}

let admin: TestUser;

/** Scrapes as an instance admin unless told otherwise (on the API's port /metrics is admin-only). */
async function scrape(target: TestApp = app, headers: Record<string, string> = admin.headers) {
  const res = await fetch(`${target.origin}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parse(await res.text());
}

/** Scrapes until `done` holds: counters move when jobs finish, which the test does not control. */
async function scrapeUntil(done: (m: ReturnType<typeof parse>) => boolean) {
  for (let i = 0; i < 100; i++) {
    const metrics = await scrape();
    if (done(metrics)) return metrics;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('metrics never reached the expected state');
}

const app = useTestApp(
  {
    config: testConfig({
      security: { throttle: { login_ip: { points: 2, duration_seconds: 60, block_seconds: 60 } } },
    }),
  },
  60_000,
);
beforeAll(async () => {
  admin = await registerUser(app);
  await setAdminByHand(app, admin.id, true);
}, 60_000);

describe('GET /metrics', () => {
  it('counts requests by route template, method and status, with latency histograms', async () => {
    const route = { route: '/users/{user_id}', method: 'GET', status: '404' };
    const before = value(await scrape(), 'plexichat_http_requests_total', route);
    await api(app, 'GET', '/users/1', { token: admin.token });
    await api(app, 'GET', '/users/2', { token: admin.token });
    const after = await scrape();
    expect(value(after, 'plexichat_http_requests_total', route)).toBe(before + 2);
    expect(value(after, 'plexichat_http_request_duration_seconds_count', route)).toBe(before + 2);
    expect(value(after, 'plexichat_http_request_duration_seconds_bucket', { ...route, le: '+Inf' })).toBe(
      before + 2,
    );
  });

  it('labels unknown URLs as unmatched, so they cannot grow the label set', async () => {
    await fetch(`${app.api}/no/such/route/${Date.now()}`);
    const metrics = await scrape();
    expect(
      value(metrics, 'plexichat_http_requests_total', { route: 'unmatched', status: '404' }),
    ).toBeGreaterThan(0);
    const routes = (metrics.get('plexichat_http_requests_total') ?? []).map((r) => r.labels.route);
    expect(routes.some((r) => r?.includes('/no/such'))).toBe(false);
  });

  it('counts jobs per queue and shows every queue’s depth', async () => {
    const { channel } = await createServerWithChannel(app.rt, admin.id);
    const before = value(await scrape(), 'plexichat_queue_jobs_total', {
      queue: 'messages',
      result: 'completed',
    });
    const sent = await api(app, 'POST', `/channels/${channel.id}/messages`, {
      token: admin.token,
      body: { content: 'counted' },
    });
    expect(sent.status).toBe(200);
    const metrics = await scrapeUntil(
      (m) => value(m, 'plexichat_queue_jobs_total', { queue: 'messages', result: 'completed' }) > before,
    );
    expect(
      value(metrics, 'plexichat_queue_job_duration_seconds_count', { queue: 'messages' }),
    ).toBeGreaterThan(0);
    for (const queue of Object.keys(app.rt.queues)) {
      expect(
        metrics
          .get('plexichat_queue_jobs')
          ?.some((r) => r.labels.queue === queue && r.labels.state === 'waiting'),
      ).toBe(true);
    }
    expect(value(metrics, 'plexichat_db_pool_connections', { state: 'size' })).toBeGreaterThan(0);
    expect(value(metrics, 'plexichat_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('shows gateway sessions and counts dispatched events', async () => {
    const client = await connectGateway(app.origin, { token: admin.token });
    try {
      const metrics = await scrape();
      expect(value(metrics, 'plexichat_gateway_sessions', { state: 'live' })).toBe(1);
      const before = value(metrics, 'plexichat_gateway_events_total', { event: 'PRESENCE_UPDATE' });
      await client.command('presence_update', { status: 'dnd' });
      await scrapeUntil(
        (m) => value(m, 'plexichat_gateway_events_total', { event: 'PRESENCE_UPDATE' }) > before,
      );
    } finally {
      client.close();
    }
  });

  it('counts rate-limit refusals by bucket', async () => {
    const ip = randomIp();
    const bucket = { bucket: '/auth/login' };
    const before = value(await scrape(), 'plexichat_rate_limit_hits_total', bucket);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await api(app, 'POST', '/auth/login', {
        body: { login: admin.username, password: 'wrong-password' },
        headers: { 'x-forwarded-for': ip },
      });
      statuses.push(res.status);
    }
    expect(statuses).toContain(429);
    const hits = statuses.filter((s) => s === 429).length;
    expect(value(await scrape(), 'plexichat_rate_limit_hits_total', bucket)).toBe(before + hits);
  });
});

describe('who may scrape', () => {
  const token = 'scrape-token-0123456789abcdef';

  const locked = useTestApp(
    {
      config: testConfig({ metrics: { allow_cidrs: [], token } }),
      workers: false,
      gateway: false,
    },
    60_000,
  );

  it('is admin-only on the API port: loopback without credentials is 401 although allow_cidrs lists it', async () => {
    const res = await fetch(`${app.origin}/metrics`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'unauthorized' });
  });

  it('refuses a wrong token with 403', async () => {
    expect((await fetch(`${locked.origin}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${locked.origin}/metrics`, {
      headers: { authorization: 'Bearer not-the-token-at-all' },
    });
    expect(wrong.status).toBe(403);
  });

  it('serves it to instance admins’ tokens, not to other users', async () => {
    const user = await registerUser(locked);
    expect((await fetch(`${locked.origin}/metrics`, { headers: user.headers })).status).toBe(403);
    await setAdminByHand(locked, user.id, true);
    await scrape(locked, user.headers);
  });

  it('serves it with the bearer token', async () => {
    const metrics = await scrape(locked, { authorization: `Bearer ${token}` });
    expect(metrics.has('plexichat_http_requests_total')).toBe(true);
  });

  it('does not serve metrics at all when disabled', async () => {
    const off = await startTestApp({
      config: testConfig({ metrics: { enabled: false } }),
      workers: false,
      gateway: false,
    });
    try {
      expect((await fetch(`${off.origin}/metrics`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('GET /admin/stats', () => {
  it('is forbidden to non-admins, naming what is missing', async () => {
    const user = await registerUser(app);
    const res = await api(app, 'GET', '/admin/stats', { token: user.token });
    expect([res.status, res.body.permission]).toEqual([403, 'INSTANCE_ADMIN']);
  });

  it('summarizes the instance and this process', async () => {
    const res = await api(app, 'GET', '/admin/stats', { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.users).toBeGreaterThanOrEqual(2);
    expect(res.body.servers).toBeGreaterThanOrEqual(1);
    expect(res.body.messages_24h).toBeGreaterThanOrEqual(1);
    expect(Object.keys(res.body.queues).sort()).toEqual(Object.keys(app.rt.queues).sort());
    expect(res.body.queues.messages).toEqual(
      expect.objectContaining({ waiting: expect.any(Number), failed: expect.any(Number) }),
    );
    expect(res.body.process.http_requests).toBeGreaterThan(5);
    expect(res.body.process.http_4xx).toBeGreaterThan(0);
    expect(res.body.process.rate_limit_hits['/auth/login']).toBeGreaterThan(0);
    // API.md's "rate-limit hits" beside users, servers and messages: the instance's, top level.
    expect(res.body.rate_limit_hits['/auth/login']).toBeGreaterThanOrEqual(
      res.body.process.rate_limit_hits['/auth/login'],
    );
    expect(res.body.rate_limit_hits).toEqual(res.body.instance.rate_limit_hits);
    expect(res.body.process.jobs_completed).toBeGreaterThan(0);
  });
});
