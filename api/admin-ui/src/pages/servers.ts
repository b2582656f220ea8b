import { call, explain } from '../api.ts';
import { h, notice, num, replace, time } from '../dom.ts';

interface AdminServer {
  id: string;
  name: string;
  owner_id: string;
  member_count: number;
  channel_count: number;
  created_at: number;
}

const PAGE = 50;

/** Servers, newest first, with member and channel counts; older pages on demand. */
export function renderServers(view: HTMLElement): void {
  const status = h('div', {});
  const body = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'More');
  let oldest: string | null = null;
  const load = (): void => {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (oldest) params.set('before', oldest);
    call<AdminServer[]>('GET', `/admin/servers?${params.toString()}`)
      .then((servers) => {
        if (!oldest && servers.length === 0) replace(status, notice('No servers yet.'));
        for (const s of servers) {
          body.appendChild(
            h(
              'tr',
              { 'data-server-id': s.id },
              h('td', {}, h('strong', {}, s.name), h('div', { class: 'muted' }, s.id)),
              h('td', {}, s.owner_id),
              h('td', { class: 'members' }, num(s.member_count)),
              h('td', { class: 'channels' }, num(s.channel_count)),
              h('td', {}, time(s.created_at)),
            ),
          );
        }
        oldest = servers.at(-1)?.id ?? oldest;
        more.hidden = servers.length < PAGE;
      })
      .catch((err: unknown) => replace(status, notice(explain(err), 'error')));
  };
  more.addEventListener('click', load);
  replace(
    view,
    h('h1', {}, 'Servers'),
    status,
    h(
      'table',
      { id: 'servers' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Server'),
          h('th', {}, 'Owner'),
          h('th', {}, 'Members'),
          h('th', {}, 'Channels'),
          h('th', {}, 'Created'),
        ),
      ),
      body,
    ),
    more,
  );
  load();
}
