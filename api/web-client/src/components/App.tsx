import { useEffect, useState } from 'preact/hooks';
import { storeSession, storedSession, whenSignedOut, type Session } from '../api.ts';
import { inviteInPath, rememberInvite } from '../routes.ts';
import { Chat } from './Chat.tsx';
import { SignIn } from './SignIn.tsx';

/** The app: the sign-in form, or the chat of the signed-in account. */
export function App() {
  const [session, setSession] = useState<Session | null>(storedSession);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    // An invite link opened signed out is joined right after the sign-in.
    const code = inviteInPath(location.pathname);
    if (code) rememberInvite(code);
    whenSignedOut(() => {
      storeSession(null);
      setSession(null);
      setNotice('Your session ended. Sign in again.');
    });
  }, []);

  if (!session) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          storeSession(s);
          setNotice(null);
          setSession(s);
        }}
      />
    );
  }
  return (
    <Chat
      key={session.token}
      session={session}
      onSignedOut={() => {
        storeSession(null);
        setNotice('Signed out.');
        setSession(null);
      }}
    />
  );
}
