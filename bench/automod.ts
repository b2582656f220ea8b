/**
 * `npm run bench:automod`: what AutoMod screening adds to a REST send. One process (API + workers),
 * local Postgres and Redis; the same member sends sequentially in a server without rules, then in
 * one with five rules (500 keywords with wildcards, three regexes, a link allowlist, mention and
 * rate limits), and the POST latencies (answered with the stored message) are compared.
 * Prints figures; asserts nothing.
 */
import crypto from 'node:crypto';
import { issueSession } from '../shared/accounts/sessions.js';
import { startApi } from '../api/server.js';
import { loadConfig } from '../shared/config/index.js';
import { createSequelize } from '../shared/db/connection.js';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { migrateUp } from '../shared/db/migrator.js';
import { DEFAULT_EVERYONE_PERMISSIONS } from '../shared/permissions/index.js';
import { createRuntime } from '../shared/runtime.js';
import { decodeSnowflake } from '../shared/snowflake.js';
import { startWorkers } from '../workers/runner.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 400);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/plexichat_bench';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

await ensureDatabase(DATABASE_URL);
const unlimited = { points: 1_000_000, duration_seconds: 1 };
const config = loadConfig({
  env: { HOME: '/nonexistent' },
  overrides: {
    log: { level: 'warn', admin: { enabled: false } },
    server: { port: 0 },
    database: { url: DATABASE_URL, pool: { max: 20 } },
    redis: { key_prefix: `bench-${crypto.randomBytes(3).toString('hex')}` },
    rate_limits: {
      global: unlimited,
      read: unlimited,
      write: unlimited,
      routes: { 'POST /channels/{channel_id}/messages': unlimited },
    },
  },
});
const migrator = createSequelize(config, { info: () => undefined } as never);
await migrateUp(migrator).finally(() => migrator.close());
const rt = await createRuntime(config, 'bench');
const pool = startWorkers(rt);
const api = await startApi(rt, 0);
const base = `http://127.0.0.1:${api.port}/api/v1`;
const at = (id: string) => new Date(decodeSnowflake(id).timestampMs);

async function world() {
  const { User, Server, Role, Member, Channel } = rt.models;
  const ownerId = rt.snowflake.next();
  const owner = await User.create({
    id: ownerId,
    username: `bench_${crypto.randomBytes(4).toString('hex')}`,
    created_at: at(ownerId),
  });
  const memberId = rt.snowflake.next();
  const member = await User.create({
    id: memberId,
    username: `bench_${crypto.randomBytes(4).toString('hex')}`,
    created_at: at(memberId),
  });
  const serverId = rt.snowflake.next();
  await Server.create({ id: serverId, name: 'bench', owner_id: ownerId, created_at: at(serverId) });
  await Role.create({
    id: serverId,
    server_id: serverId,
    name: '@everyone',
    permissions: String(DEFAULT_EVERYONE_PERMISSIONS),
    created_at: at(serverId),
  });
  await Member.bulkCreate([
    { server_id: serverId, user_id: ownerId },
    { server_id: serverId, user_id: memberId },
  ]);
  const channelId = rt.snowflake.next();
  await Channel.create({
    id: channelId,
    server_id: serverId,
    name: 'general',
    channel_type: 'text',
    created_at: at(channelId),
  });
  const { token: ownerToken } = await issueSession(rt, owner, { ip: '127.0.0.1', userAgent: null });
  const { token } = await issueSession(rt, member, { ip: '127.0.0.1', userAgent: null });
  return { serverId, channelId, ownerToken, token };
}

async function call(token: string, method: string, path: string, body: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

/** Sends alternately in the two channels (so both see the same machine load); latencies of each. */
async function sendAlternately(
  a: { token: string; channelId: string },
  b: { token: string; channelId: string },
): Promise<[number[], number[]]> {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < MESSAGES * 2; i++) {
    const target = i % 2 === 0 ? a : b;
    const started = performance.now();
    await call(target.token, 'POST', `/channels/${target.channelId}/messages`, {
      content: `message ${i}: nothing to see here, see https://example.com/page/${i} <@${i}>`,
    });
    times[i % 2]!.push(performance.now() - started);
  }
  return [times[0].sort((x, y) => x - y), times[1].sort((x, y) => x - y)];
}

function report(label: string, times: number[]): void {
  const line = [50, 90, 99].map((p) => `p${p} ${percentile(times, p).toFixed(1)} ms`).join(', ');
  console.log(`${label}: ${line} (${times.length} sequential sends)`);
}

const plain = await world();
const screened = await world();
const words = Array.from({ length: 500 }, (_, i) => (i % 5 === 0 ? `badword${i}*` : `forbidden${i}`));
const rules = [
  { trigger_type: 'keyword', trigger: { keywords: words } },
  { trigger_type: 'regex', trigger: { patterns: ['^(a+)+$', 'free\\s+nitro', '\\b\\d{16}\\b'] } },
  { trigger_type: 'link', trigger: { allowed_domains: ['example.com'] } },
  { trigger_type: 'mention_spam', trigger: { mention_limit: 10 } },
  { trigger_type: 'spam', trigger: { max_messages: 100, window_seconds: 1 } },
];
for (const [i, rule] of rules.entries()) {
  await call(screened.ownerToken, 'POST', `/servers/${screened.serverId}/automod/rules`, {
    name: `rule ${i}`,
    actions: [{ type: 'block' }],
    ...rule,
  });
}
await sendAlternately(plain, screened); // warm-up: JIT, pools, caches
const [without, withRules] = await sendAlternately(plain, screened);

report('REST send, server without AutoMod rules', without);
report('REST send, server with 5 AutoMod rules', withRules);
console.log(
  `AutoMod adds p50 ${(percentile(withRules, 50) - percentile(without, 50)).toFixed(1)} ms per message`,
);
await api.close();
await pool.close();
await rt.lifecycle.close();
