import { call, remember, signedIn, whenSignedOut, type Signed } from './api.ts';
import { h, replace } from './dom.ts';
import { renderIpRules } from './pages/ip-rules.ts';
import { openBrowserSession, renderLogin } from './pages/login.ts';
import { renderOverview } from './pages/overview.ts';
import { renderReports } from './pages/reports.ts';
import { renderSecurityEvents } from './pages/security-events.ts';
import { renderServers } from './pages/servers.ts';
import { renderUsers } from './pages/users.ts';

/** A page: draws into the view; may return what stops it (timers) when another page opens. */
type Page = (view: HTMLElement, signed: Signed) => (() => void) | void;

const PAGES: Record<string, { title: string; render: Page }> = {
  overview: { title: 'Overview', render: (view) => renderOverview(view) },
  reports: { title: 'Reports', render: (view) => renderReports(view) },
  security: { title: 'Security events', render: (view) => renderSecurityEvents(view) },
  'ip-rules': { title: 'IP rules', render: (view) => renderIpRules(view) },
  users: { title: 'Users', render: (view, signed) => renderUsers(view, signed.user.id) },
  servers: { title: 'Servers', render: (view) => renderServers(view) },
};

const root = document.getElementById('app') as HTMLElement;
let stopPage: (() => void) | void = undefined;

function currentPage(): string {
  const name = location.hash.replace(/^#\/?/, '');
  return Object.hasOwn(PAGES, name) ? name : 'overview';
}

function showLogin(message?: string): void {
  stopPage?.();
  stopPage = undefined;
  const view = h('main', { class: 'narrow' });
  replace(root, view);
  renderLogin(
    view,
    (signed) => {
      remember(signed);
      if (location.hash !== '#/overview') location.hash = '#/overview';
      else showApp();
    },
    message,
  );
}

async function signOut(signed: Signed): Promise<void> {
  // The cookie first: it needs the session that the logout ends.
  await call('DELETE', '/admin/browser-session').catch(() => undefined);
  await call('POST', '/auth/logout').catch(() => undefined);
  if (signedIn()?.token === signed.token) remember(null);
  showLogin('Signed out.');
}

function showApp(): void {
  const signed = signedIn();
  if (!signed) return showLogin();
  stopPage?.();
  const page = currentPage();
  const nav = h(
    'nav',
    {},
    ...Object.entries(PAGES).map(([name, { title }]) =>
      h('a', { href: `#/${name}`, class: name === page ? 'current' : '', 'data-page': name }, title),
    ),
    signed.bullBoard
      ? h(
          'a',
          { href: '/admin/queues', id: 'bull-board-link', target: '_blank', rel: 'noopener' },
          'Queues (Bull Board) ↗',
        )
      : h(
          'span',
          { class: 'muted', title: 'Set admin.bull_board: true in the configuration' },
          'Bull Board is off',
        ),
  );
  const header = h(
    'header',
    {},
    h('strong', { class: 'brand' }, 'Plexichat admin'),
    nav,
    h(
      'span',
      { class: 'who' },
      h('span', { id: 'signed-in-as' }, signed.user.username),
      h(
        'button',
        { type: 'button', class: 'secondary', id: 'sign-out', onclick: () => void signOut(signed) },
        'Sign out',
      ),
    ),
  );
  const view = h('main', { id: 'view', 'data-page': page });
  replace(root, header, view);
  document.title = `${PAGES[page]?.title ?? ''} - Plexichat admin`;
  stopPage = PAGES[page]?.render(view, signed);
}

whenSignedOut((reason) => showLogin(reason));
window.addEventListener('hashchange', () => (signedIn() ? showApp() : showLogin()));

// A reload keeps the sign-in (sessionStorage); the cookie for Bull Board is renewed with it, which
// also checks that the token still works and still belongs to an admin.
const stored = signedIn();
if (stored) {
  openBrowserSession(stored.token)
    .then((bullBoard) => {
      remember({ ...stored, bullBoard });
      showApp();
    })
    .catch(() => {
      remember(null);
      showLogin('Your session ended. Sign in again.');
    });
} else {
  showLogin();
}
