import { call, explain } from '../api.ts';
import { h, notice, replace, time } from '../dom.ts';

interface Report {
  id: string;
  reporter_id: string | null;
  server_id: string | null;
  target_type: 'user' | 'message';
  target_id: string;
  target_user_id: string;
  channel_id: string | null;
  reason: string;
  snapshot: {
    message?: { content?: string | null };
    author?: { username?: string };
    user?: { username?: string };
  };
  status: 'open' | 'resolved' | 'dismissed';
  notes: { author_id: string; content: string; created_at: number }[];
  action_taken: string | null;
  resolved_at: number | null;
  created_at: number;
}

function what(report: Report): string {
  const s = report.snapshot;
  if (report.target_type === 'message') {
    const who = s.author?.username ?? report.target_user_id;
    return `Message by ${who}: “${s.message?.content ?? ''}”`;
  }
  return `User ${s.user?.username ?? report.target_user_id}`;
}

function card(report: Report, reload: () => void): HTMLElement {
  const note = h('textarea', { class: 'note', rows: '2', placeholder: 'Note (optional)', maxlength: '2000' });
  const status = h('div', {});
  const decide = (to: 'resolved' | 'dismissed') => () => {
    const content = note.value.trim();
    call('PATCH', `/admin/reports/${report.id}`, {
      body: { status: to, ...(content ? { note: content } : {}) },
    })
      .then(reload)
      .catch((err: unknown) => replace(status, notice(explain(err), 'error')));
  };
  const open = report.status === 'open';
  return h(
    'article',
    { class: 'card report', 'data-report-id': report.id },
    h('h3', {}, what(report)),
    h('p', {}, h('strong', {}, 'Reason: '), report.reason),
    h(
      'p',
      { class: 'muted' },
      `#${report.id} · ${report.target_type} ${report.target_id} · reported ${time(report.created_at)}`,
      report.server_id ? ` · server ${report.server_id}` : ' · no server',
      open ? '' : ` · ${report.status} ${time(report.resolved_at)}`,
    ),
    report.notes.length > 0
      ? h(
          'ul',
          { class: 'notes' },
          ...report.notes.map((n) => h('li', {}, `${time(n.created_at)}: ${n.content}`)),
        )
      : null,
    status,
    open ? note : null,
    open
      ? h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'resolve', onclick: decide('resolved') }, 'Resolve'),
          h(
            'button',
            { type: 'button', class: 'dismiss secondary', onclick: decide('dismissed') },
            'Dismiss',
          ),
        )
      : null,
  );
}

/** Reports: open ones by default (or another status), each resolvable or dismissable with a note. */
export function renderReports(view: HTMLElement): void {
  const filter = h(
    'select',
    { id: 'report-status' },
    h('option', { value: 'open' }, 'Open'),
    h('option', { value: 'resolved' }, 'Resolved'),
    h('option', { value: 'dismissed' }, 'Dismissed'),
  );
  const list = h('div', { id: 'reports' });
  // Switching the filter quickly must not let an older answer overwrite a newer one.
  let loads = 0;
  const load = (): void => {
    const seq = ++loads;
    call<Report[]>('GET', `/admin/reports?status=${filter.value}&limit=100`)
      .then((reports) => {
        if (seq !== loads) return;
        replace(
          list,
          ...(reports.length === 0
            ? [notice(`No ${filter.value} reports.`)]
            : reports.map((report) => card(report, load))),
        );
      })
      .catch((err: unknown) => replace(list, notice(explain(err), 'error')));
  };
  filter.addEventListener('change', load);
  replace(view, h('h1', {}, 'Reports'), h('p', { class: 'toolbar' }, h('label', {}, 'Show ', filter)), list);
  load();
}
