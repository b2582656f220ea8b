import { call, explain } from '../api.ts';
import { bars, groupedBars } from '../charts.ts';
import { h, notice, num, replace, time } from '../dom.ts';

interface Stats {
  users: number;
  bots: number;
  disabled_users: number;
  servers: number;
  channels: number;
  messages: number;
  messages_24h: number;
  queues: Record<string, Record<string, number>>;
  processes: (Figures & { id: string; role: string; uptime_seconds: number })[];
  instance: Figures & { processes: number; roles: Record<string, number> };
}

/** Request, job and gateway figures: one process's, or every live process's added up. */
interface Figures {
  rss_bytes: number;
  http_requests: number;
  http_4xx: number;
  http_5xx: number;
  rate_limit_hits: Record<string, number>;
  jobs_completed: number;
  jobs_failed: number;
  gateway_sessions: number;
  gateway_detached: number;
}

const REFRESH_MS = 10_000;

const QUEUE_SERIES = [
  { key: 'waiting', label: 'waiting', cls: 's-waiting' },
  { key: 'active', label: 'active', cls: 's-active' },
  { key: 'delayed', label: 'delayed', cls: 's-delayed' },
  { key: 'failed', label: 'failed', cls: 's-failed' },
];

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d} d ${hours} h` : hours > 0 ? `${hours} h ${m} min` : `${m} min`;
}

function stat(key: string, label: string, value: string): HTMLElement {
  return h(
    'div',
    { class: 'stat', 'data-stat': key },
    h('span', { class: 'value' }, value),
    h('span', { class: 'label' }, label),
  );
}

function render(stats: Stats): HTMLElement[] {
  const p = stats.instance;
  const oldest = Math.max(0, ...stats.processes.map((x) => x.uptime_seconds));
  const roles = Object.entries(p.roles).map(([role, n]) => `${role}: ${num(n)}`);
  const cards = h(
    'section',
    { class: 'stats', id: 'stats' },
    stat('users', 'Users', num(stats.users)),
    stat('bots', 'Bots', num(stats.bots)),
    stat('disabled_users', 'Disabled', num(stats.disabled_users)),
    stat('servers', 'Servers', num(stats.servers)),
    stat('channels', 'Channels', num(stats.channels)),
    stat('messages', 'Messages', num(stats.messages)),
    stat('messages_24h', 'Messages, 24 h', num(stats.messages_24h)),
    stat('gateway_sessions', 'Gateway sessions', num(p.gateway_sessions)),
  );
  const queues = Object.entries(stats.queues).map(([label, values]) => ({ label, values }));
  const ok = Math.max(0, p.http_requests - p.http_4xx - p.http_5xx);
  const limits = Object.entries(p.rate_limit_hits).filter(([, n]) => n > 0);
  return [
    cards,
    h(
      'section',
      { class: 'card', id: 'queue-chart' },
      h('h2', {}, 'Queue depths'),
      groupedBars('Jobs per queue and state', queues, QUEUE_SERIES),
    ),
    h(
      'section',
      { class: 'card', id: 'status-chart' },
      h('h2', {}, 'HTTP responses'),
      h(
        'p',
        { class: 'muted' },
        `Answered by the instance's ${num(p.processes)} live processes since each started.`,
      ),
      bars('Responses by status class', [
        { label: '1xx-3xx', value: ok, cls: 's-ok' },
        { label: '4xx', value: p.http_4xx, cls: 's-delayed' },
        { label: '5xx', value: p.http_5xx, cls: 's-failed' },
      ]),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Processes'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Live, by role'),
        h('dd', {}, roles.join(', ')),
        h('dt', {}, 'Longest uptime'),
        h('dd', {}, duration(oldest)),
        h('dt', {}, 'Gateway sessions awaiting a resume'),
        h('dd', {}, num(p.gateway_detached)),
        h('dt', {}, 'Memory (RSS, all processes)'),
        h('dd', {}, `${(p.rss_bytes / 1048576).toFixed(0)} MiB`),
        h('dt', {}, 'Jobs completed / failed'),
        h('dd', {}, `${num(p.jobs_completed)} / ${num(p.jobs_failed)}`),
        h('dt', {}, 'Rate-limited requests'),
        h(
          'dd',
          {},
          limits.length === 0 ? 'none' : limits.map(([bucket, n]) => `${bucket}: ${num(n)}`).join(', '),
        ),
      ),
    ),
  ];
}

/** Overview: the numbers of GET /admin/stats and two charts, refreshed every 10 s; returns the stop. */
export function renderOverview(view: HTMLElement): () => void {
  const status = h('p', { class: 'muted', id: 'overview-updated' }, 'Loading…');
  const body = h('div', {});
  replace(view, h('h1', {}, 'Overview'), status, body);
  let stopped = false;
  const refresh = async (): Promise<void> => {
    try {
      const stats = await call<Stats>('GET', '/admin/stats');
      if (stopped) return;
      replace(body, ...render(stats));
      replace(status, `Updated ${time(Math.floor(Date.now() / 1000))}; refreshes every 10 s.`);
    } catch (err) {
      if (!stopped) replace(status, notice(explain(err), 'error'));
    }
  };
  void refresh();
  const timer = window.setInterval(() => void refresh(), REFRESH_MS);
  return () => {
    stopped = true;
    window.clearInterval(timer);
  };
}
