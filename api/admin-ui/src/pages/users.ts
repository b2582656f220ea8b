import { call, explain } from '../api.ts';
import { h, notice, replace, time } from '../dom.ts';

interface AdminUser {
  id: string;
  username: string;
  email: string | null;
  is_admin: boolean;
  is_bot: boolean;
  disabled_at: number | null;
  created_at: number;
  session_count: number;
}

const PAGE = 50;

/** Users: search by username or email prefix, disable or enable, sign out everywhere. */
export function renderUsers(view: HTMLElement, selfId: string): void {
  const query = h('input', {
    id: 'user-query',
    type: 'search',
    placeholder: 'username or email starts with…',
  });
  const status = h('div', {});
  const body = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'More');
  let oldest: string | null = null;

  // A newer search may be answered before an older one: only the latest load may draw.
  let loads = 0;
  let answered = 0;
  const act = (promise: Promise<unknown>, done: string, refresh: () => void): void => {
    promise
      .then(() => {
        replace(status, notice(done));
        // A list still on its way was read before this change and would draw the row as it was:
        // ask again instead (the newer load supersedes it).
        if (answered !== loads) load(false);
        else refresh();
      })
      .catch((err: unknown) => replace(status, notice(explain(err), 'error')));
  };

  const row = (user: AdminUser): HTMLTableRowElement => {
    const tr = h('tr', { 'data-user-id': user.id });
    const refresh = (): void => {
      call<AdminUser>('GET', `/admin/users/${user.id}`)
        // The row now shown for the user: a search drawn meanwhile has replaced this one.
        .then((fresh) => (body.querySelector(`tr[data-user-id="${user.id}"]`) ?? tr).replaceWith(row(fresh)))
        .catch((err: unknown) => replace(status, notice(explain(err), 'error')));
    };
    const self = user.id === selfId;
    const toggle = h(
      'button',
      {
        type: 'button',
        class: user.disabled_at ? 'enable' : 'disable danger',
        disabled: self,
        title: self ? 'You cannot disable your own account' : undefined,
        onclick: () =>
          act(
            call('PATCH', `/admin/users/${user.id}`, { body: { disabled: !user.disabled_at } }),
            `${user.username} ${user.disabled_at ? 'enabled' : 'disabled: every session ended'}.`,
            refresh,
          ),
      },
      user.disabled_at ? 'Enable' : 'Disable',
    );
    const logout = h(
      'button',
      {
        type: 'button',
        class: 'logout secondary',
        disabled: user.session_count === 0,
        onclick: () =>
          act(
            call('POST', `/admin/users/${user.id}/logout`),
            `${user.username} is signed out everywhere.`,
            refresh,
          ),
      },
      'Sign out everywhere',
    );
    replace(
      tr,
      h(
        'td',
        {},
        h('strong', {}, user.username),
        user.is_admin ? h('span', { class: 'badge admin' }, 'admin') : null,
        user.is_bot ? h('span', { class: 'badge bot' }, 'bot') : null,
        h('div', { class: 'muted' }, user.id),
      ),
      h('td', {}, user.email ?? '—'),
      h('td', {}, time(user.created_at)),
      h(
        'td',
        { class: 'state' },
        user.disabled_at
          ? h('span', { class: 'badge deny' }, `disabled ${time(user.disabled_at)}`)
          : 'active',
      ),
      h('td', { class: 'sessions' }, String(user.session_count)),
      h('td', { class: 'row-actions' }, toggle, logout),
    );
    return tr;
  };

  const load = (append: boolean): void => {
    const seq = ++loads;
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (query.value.trim()) params.set('query', query.value.trim());
    if (append && oldest) params.set('before', oldest);
    call<AdminUser[]>('GET', `/admin/users?${params.toString()}`)
      .then((users) => {
        if (seq !== loads) return;
        answered = seq;
        replace(status, !append && users.length === 0 ? notice('No matching users.') : null);
        if (!append) replace(body);
        for (const user of users) body.appendChild(row(user));
        oldest = users.at(-1)?.id ?? oldest;
        more.hidden = users.length < PAGE;
      })
      .catch((err: unknown) => replace(status, notice(explain(err), 'error')));
  };
  more.addEventListener('click', () => load(true));
  replace(
    view,
    h('h1', {}, 'Users'),
    h(
      'form',
      {
        class: 'toolbar',
        onsubmit: (event) => {
          event.preventDefault();
          oldest = null;
          load(false);
        },
      },
      query,
      h('button', { type: 'submit', id: 'user-search' }, 'Search'),
    ),
    status,
    h(
      'table',
      { id: 'users' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'User'),
          h('th', {}, 'Email'),
          h('th', {}, 'Created'),
          h('th', {}, 'State'),
          h('th', {}, 'Sessions'),
          h('th', {}, ''),
        ),
      ),
      body,
    ),
    more,
  );
  load(false);
}
