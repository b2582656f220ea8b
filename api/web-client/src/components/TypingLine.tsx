import { useEffect, useState } from 'preact/hooks';
import { useUser } from '../users.ts';

function Typist({ id }: { id: string }) {
  return <>{useUser(id)?.username ?? 'Someone'}</>;
}

/** "x is typing…" for the users whose indicator has not run out. */
export function TypingLine({ typing }: { typing: Record<string, number> }) {
  const [now, setNow] = useState(Date.now());
  const active = Object.entries(typing)
    .filter(([, until]) => until > now)
    .map(([id]) => id);
  useEffect(() => {
    if (active.length === 0) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active.length]);
  useEffect(() => setNow(Date.now()), [typing]);
  return (
    <p class="typing" aria-live="polite">
      {active.slice(0, 3).map((id, i) => (
        <span key={id}>
          {i > 0 && ', '}
          <Typist id={id} />
        </span>
      ))}
      {active.length === 1 ? ' is typing…' : active.length > 1 ? ' are typing…' : ''}
    </p>
  );
}
