import { call, explain, type Signed } from '../api.ts';
import { h, notice, replace } from '../dom.ts';

interface SelfUser {
  id: string;
  username: string;
  admin: boolean;
}
type LoginAnswer = { token: string; user: SelfUser } | { mfa_required: true; ticket: string };

/** Opens the cookie session for admin pages (Bull Board); says whether Bull Board is mounted. */
export async function openBrowserSession(token: string): Promise<boolean> {
  const session = await call<{ bull_board: boolean }>('POST', '/admin/browser-session', { token });
  return session.bull_board;
}

/**
 * The sign-in form: login and password, then a TOTP (or backup) code when the account has 2FA.
 * A user who is not an instance admin is told so, and the session just opened is closed again.
 */
export function renderLogin(view: HTMLElement, onSignedIn: (signed: Signed) => void, message?: string): void {
  const status = h('div', { id: 'login-status' }, message ? notice(message) : null);
  const login = h('input', { id: 'login-name', name: 'login', autocomplete: 'username', required: true });
  const password = h('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const code = h('input', {
    id: 'login-totp',
    name: 'code',
    autocomplete: 'one-time-code',
    inputmode: 'numeric',
    placeholder: '123456 or a backup code',
  });
  const codeRow = h('label', { class: 'field', hidden: true }, 'Two-factor code', code);
  const submit = h('button', { type: 'submit', id: 'login-submit' }, 'Sign in');
  let ticket: string | null = null;

  const finish = async (token: string, user: SelfUser): Promise<void> => {
    if (!user.admin) {
      // Leave no session behind for someone who cannot use this page.
      await call('POST', '/auth/logout', { token }).catch(() => undefined);
      replace(
        status,
        notice(
          `Signed in as ${user.username}, but ${user.username} is not an admin of this instance.`,
          'error',
        ),
      );
      ticket = null;
      codeRow.hidden = true;
      password.value = '';
      return;
    }
    const bullBoard = await openBrowserSession(token);
    onSignedIn({ token, user: { id: user.id, username: user.username, admin: true }, bullBoard });
  };

  const form = h(
    'form',
    {
      class: 'card login',
      onsubmit: (event) => {
        event.preventDefault();
        submit.disabled = true;
        replace(status);
        const attempt = async (): Promise<void> => {
          if (ticket) {
            const answer = await call<{ token: string; user: SelfUser }>('POST', '/auth/mfa/totp', {
              body: { ticket, code: code.value.trim() },
            });
            await finish(answer.token, answer.user);
            return;
          }
          const answer = await call<LoginAnswer>('POST', '/auth/login', {
            body: { login: login.value.trim(), password: password.value },
          });
          if ('mfa_required' in answer) {
            ticket = answer.ticket;
            codeRow.hidden = false;
            code.focus();
            replace(status, notice('Enter the code from your authenticator app.'));
            return;
          }
          await finish(answer.token, answer.user);
        };
        attempt()
          .catch((err: unknown) => {
            // A spent or expired ticket means starting over from the password.
            if (ticket && /ticket/.test(explain(err))) {
              ticket = null;
              codeRow.hidden = true;
            }
            replace(status, notice(explain(err), 'error'));
          })
          .finally(() => {
            submit.disabled = false;
          });
      },
    },
    h('h1', {}, 'Plexichat admin'),
    status,
    h('label', { class: 'field' }, 'Username or email', login),
    h('label', { class: 'field' }, 'Password', password),
    codeRow,
    submit,
  );
  replace(view, form);
  login.focus();
}
