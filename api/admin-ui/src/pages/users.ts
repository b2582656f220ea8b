import { call, explain } from '../api.ts';
import { h, notice, replace, time } from '../dom.ts';

interface AdminUser {
  id: string;
  username: string;
  email: string | null;
  is_admin: boolean;
  is_bot: boolean;
  disabled_at: number | null;
  deleted_at: number | null;
  created_at: number;
  session_count: number;
  mfa_enabled: boolean;
  email_verified: boolean;
}

/** GET /instance: how this instance takes new accounts. */
interface Instance {
  registration: 'open' | 'invite_only' | 'closed';
  email: boolean;
  require_verified_email: boolean;
}

type Act = (promise: Promise<unknown>, done: string, refresh: () => void) => void;

/**
 * Account recovery buttons of one user row: mail a reset link, issue one to hand over, turn 2FA off
 * (the admin API behind them records each as a security event).
 */
function accountToolButtons(
  user: AdminUser,
  act: Act,
  refresh: () => void,
  showLink: (link: string) => void,
  showError: (err: unknown) => void,
): HTMLElement[] {
  if (user.is_bot) return [];
  const resetMail = h(
    'button',
    {
      type: 'button',
      class: 'reset-mail secondary',
      disabled: !user.email,
      title: user.email ? undefined : 'This account has no email address',
      onclick: () =>
        act(
          call('POST', `/admin/users/${user.id}/password-reset`, { body: { delivery: 'mail' } }),
          `A password reset mail is on its way to ${user.email ?? ''}.`,
          refresh,
        ),
    },
    'Send reset mail',
  );
  const resetLink = h(
    'button',
    {
      type: 'button',
      class: 'reset-link secondary',
      onclick: () => {
        call<{ link: string }>('POST', `/admin/users/${user.id}/password-reset`, {
          body: { delivery: 'link' },
        })
          .then((res) => showLink(res.link))
          .catch((err: unknown) => showError(err));
      },
    },
    'Reset link',
  );
  const mfaOff = h(
    'button',
    {
      type: 'button',
      class: 'mfa-off danger',
      disabled: !user.mfa_enabled,
      title: user.mfa_enabled ? undefined : '2FA is not on',
      onclick: () =>
        act(call('DELETE', `/admin/users/${user.id}/mfa`), `2FA is off for ${user.username}.`, refresh),
    },
    'Turn off 2FA',
  );
  return [resetMail, resetLink, mfaOff];
}

/** The registration mode (GET /instance) and a form that creates an account in any mode. */
function createAccountSection(status: HTMLElement, created: (username: string) => void): HTMLElement {
  const mode = h('span', { id: 'registration-mode' }, '…');
  call<Instance>('GET', '/instance')
    .then((instance) => {
      const label = { open: 'open', invite_only: 'invite only', closed: 'closed' }[instance.registration];
      replace(mode, `${label}${instance.email ? '' : ' · no mail configured'}`);
    })
    .catch((err: unknown) => replace(status, notice(explain(err), 'error')));
  const username = h('input', { id: 'new-username', placeholder: 'username', required: true });
  const email = h('input', { id: 'new-email', type: 'email', placeholder: 'email (optional)' });
  const password = h('input', {
    id: 'new-password',
    type: 'password',
    placeholder: 'password (8+ characters)',
    required: true,
    autocomplete: 'new-password',
  });
  const form = h(
    'form',
    {
      class: 'toolbar',
      id: 'create-user',
      onsubmit: (event) => {
        event.preventDefault();
        const body: Record<string, string> = { username: username.value.trim(), password: password.value };
        if (email.value.trim()) body.email = email.value.trim();
        call<AdminUser>('POST', '/admin/users', { body })
          .then((user) => {
            password.value = '';
            replace(status, notice(`Created ${user.username}.`));
            created(user.username);
          })
          .catch((err: unknown) => replace(status, notice(explain(err), 'error')));
      },
    },
    username,
    email,
    password,
    h('button', { type: 'submit', id: 'create-user-submit' }, 'Create account'),
  );
  return h('section', {}, h('p', { class: 'muted' }, 'Registration: ', mode), form);
}

const PAGE = 50;

/**
 * The Delete button of a user row (account lifecycle): asks first, then DELETE /admin/users/{id}.
 * A deleted account, a bot and the admin's own account get none.
 */
function deleteButton(
  user: AdminUser,
  self: boolean,
  act: (promise: Promise<unknown>, done: string, refresh: () => void) => void,
  refresh: () => void,
): HTMLButtonElement | null {
  if (user.deleted_at || user.is_bot || self) return null;
  return h(
    'button',
    {
      type: 'button',
      class: 'delete danger',
      onclick: () => {
        const question =
          `Delete ${user.username} for good? Their sessions end and their personal data is erased; ` +
          'their messages stay under a deleted-user placeholder. This cannot be undone.';
        if (!window.confirm(question)) return;
        act(call('DELETE', `/admin/users/${user.id}`), `${user.username} was deleted.`, refresh);
      },
    },
    'Delete',
  );
}

/** Users: search by username or email prefix, disable or enable, sign out everywhere, delete. */
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
  const act: Act = (promise, done, refresh) => {
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

  const showError = (err: unknown): void => replace(status, notice(explain(err), 'error'));
  // A reset link is shown once, selectable, for the admin to hand over.
  const showLink = (link: string): void =>
    replace(
      status,
      h(
        'p',
        { class: 'notice', id: 'reset-link' },
        'One-time reset link (valid 1 hour): ',
        h('code', {}, link),
      ),
    );

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
        user.deleted_at
          ? h('span', { class: 'badge deny' }, `deleted ${time(user.deleted_at)}`)
          : user.disabled_at
            ? h('span', { class: 'badge deny' }, `disabled ${time(user.disabled_at)}`)
            : 'active',
      ),
      h('td', { class: 'sessions' }, String(user.session_count)),
      h(
        'td',
        { class: 'row-actions' },
        user.deleted_at ? null : toggle,
        user.deleted_at ? null : logout,
        deleteButton(user, self, act, refresh),
      ),
      h(
        'td',
        { class: 'account-tools' },
        ...(user.deleted_at ? [] : accountToolButtons(user, act, refresh, showLink, showError)),
      ),
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
    createAccountSection(status, (username) => {
      query.value = username;
      oldest = null;
      load(false);
    }),
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
          h('th', {}, 'Recovery'),
        ),
      ),
      body,
    ),
    more,
  );
  load(false);
}
