import { call, explain } from '../api.ts';
import { h, notice, replace, time } from '../dom.ts';

interface SecurityEvent {
  id: string;
  type: string;
  user_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  created_at: number;
}

const PAGE = 100;

function row(event: SecurityEvent): HTMLTableRowElement {
  const details = Object.entries(event.details)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  return h(
    'tr',
    { 'data-event-id': event.id },
    h('td', {}, time(event.created_at)),
    h('td', {}, h('code', {}, event.type)),
    h('td', {}, event.user_id ?? '—'),
    h('td', {}, event.ip ?? '—'),
    h('td', { class: 'details' }, details),
  );
}

/** Security events, newest first, filterable by user id and address, with older pages on demand. */
export function renderSecurityEvents(view: HTMLElement): void {
  const userId = h('input', { id: 'events-user', placeholder: 'user id', inputmode: 'numeric' });
  const ip = h('input', { id: 'events-ip', placeholder: 'IP address' });
  const body = h('tbody', {});
  const status = h('div', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Older');
  let oldest: string | null = null;

  // A newer search may be answered before an older one: only the latest load may draw.
  let loads = 0;
  const load = (append: boolean): void => {
    const seq = ++loads;
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (userId.value.trim()) params.set('user_id', userId.value.trim());
    if (ip.value.trim()) params.set('ip', ip.value.trim());
    if (append && oldest) params.set('before', oldest);
    call<SecurityEvent[]>('GET', `/admin/security-events?${params.toString()}`)
      .then((events) => {
        if (seq !== loads) return;
        replace(status, !append && events.length === 0 ? notice('No events.') : null);
        if (!append) replace(body);
        for (const event of events) body.appendChild(row(event));
        oldest = events.at(-1)?.id ?? oldest;
        more.hidden = events.length < PAGE;
      })
      .catch((err: unknown) => replace(status, notice(explain(err), 'error')));
  };
  more.addEventListener('click', () => load(true));
  const filters = h(
    'form',
    {
      class: 'toolbar',
      onsubmit: (event) => {
        event.preventDefault();
        oldest = null;
        load(false);
      },
    },
    userId,
    ip,
    h('button', { type: 'submit', id: 'security-events-filter' }, 'Filter'),
  );
  replace(
    view,
    h('h1', {}, 'Security events'),
    filters,
    status,
    h(
      'table',
      { id: 'security-events' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'When'),
          h('th', {}, 'Type'),
          h('th', {}, 'User'),
          h('th', {}, 'IP'),
          h('th', {}, 'Details'),
        ),
      ),
      body,
    ),
    more,
  );
  load(false);
}
