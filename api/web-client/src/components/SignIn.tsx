import { useState } from 'preact/hooks';
import { login, loginWithCode, register, type Session } from '../api.ts';
import { pendingInvite } from '../routes.ts';

/** A labelled text input (the label is its accessible name). */
function Field(props: {
  label: string;
  value: string;
  onValue: (value: string) => void;
  type?: string;
  autocomplete?: string;
  required?: boolean;
  describedBy?: string;
}) {
  return (
    <label>
      {props.label}
      <input
        type={props.type ?? 'text'}
        value={props.value}
        autocomplete={props.autocomplete}
        required={props.required}
        aria-describedby={props.describedBy}
        onInput={(e) => props.onValue(e.currentTarget.value)}
      />
    </label>
  );
}

/** The sign-in and registration form; asks for the 2FA code when the login says it needs one. */
export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (s: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [ticket, setTicket] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const signIn = (): Promise<void> =>
    run(async () => {
      const answer = await login(username, password);
      if ('mfa_required' in answer) setTicket(answer.ticket);
      else onSignedIn(answer);
    });

  const verify = (): Promise<void> =>
    run(async () => {
      if (ticket) onSignedIn(await loginWithCode(ticket, code.trim()));
    });

  const createAccount = (): Promise<void> =>
    run(async () => {
      const invite = pendingInvite();
      onSignedIn(
        await register({
          username,
          password,
          ...(email ? { email } : {}),
          ...(invite ? { invite } : {}),
        }),
      );
    });

  return (
    <main class="sign-in">
      <h1>Plexichat</h1>
      {notice && <p class="notice">{notice}</p>}
      {ticket ? (
        <form
          aria-label="Two-factor authentication"
          onSubmit={(e) => {
            e.preventDefault();
            void verify();
          }}
        >
          <p>Enter the code from your authenticator app, or a backup code.</p>
          <Field
            label="Two-factor code"
            value={code}
            autocomplete="one-time-code"
            required
            onValue={setCode}
          />
          <div class="buttons">
            <button type="submit" disabled={busy}>
              Verify
            </button>
            <button type="button" class="secondary" onClick={() => setTicket(null)}>
              Back
            </button>
          </div>
        </form>
      ) : (
        <form
          aria-label="Sign in"
          onSubmit={(e) => {
            e.preventDefault();
            void signIn();
          }}
        >
          <Field label="Username" value={username} autocomplete="username" required onValue={setUsername} />
          <Field
            label="Password"
            type="password"
            value={password}
            autocomplete="current-password"
            required
            onValue={setPassword}
          />
          <Field
            label="Email"
            type="email"
            value={email}
            autocomplete="email"
            describedBy="email-hint"
            onValue={setEmail}
          />
          <p id="email-hint" class="hint">
            Optional, only for a new account: lets you reset a forgotten password.
          </p>
          <div class="buttons">
            <button type="submit" disabled={busy}>
              Sign in
            </button>
            <button
              type="button"
              class="secondary"
              disabled={busy}
              onClick={(e) => {
                if (e.currentTarget.form?.reportValidity()) void createAccount();
              }}
            >
              Create account
            </button>
          </div>
        </form>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </main>
  );
}
