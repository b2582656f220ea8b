import type { JSX } from 'preact';
import { removeRelationship, setRelationship, type Relationship } from '../api.ts';

const STATUS: Record<Relationship['status'], string> = {
  friend: 'Friend',
  pending_incoming: 'Wants to be your friend',
  pending_outgoing: 'Request sent',
  blocked: 'Blocked',
};

/** Friends and requests, with what can be done about each (accept, message, remove). */
export function Friends({
  relationships,
  onMessage,
  onError,
}: {
  relationships: Relationship[];
  onMessage: (userId: string) => void;
  onError: (message: string) => void;
}) {
  const fail = (err: unknown): void => onError(err instanceof Error ? err.message : String(err));
  if (relationships.length === 0) {
    return <p class="hint">No friends yet: use "Add friend" on someone's message.</p>;
  }
  return (
    <ul class="friends" aria-label="Friends">
      {relationships.map((r): JSX.Element => {
        const name = r.user.username;
        return (
          <li key={r.id}>
            <span>
              <strong>{name}</strong> <span class="hint">{STATUS[r.status]}</span>
            </span>
            <span class="buttons">
              {r.status === 'pending_incoming' && (
                <button
                  type="button"
                  aria-label={`Accept ${name}`}
                  onClick={() => void setRelationship(r.id, 'friend').catch(fail)}
                >
                  Accept
                </button>
              )}
              {r.status === 'friend' && (
                <button type="button" aria-label={`Message ${name}`} onClick={() => onMessage(r.id)}>
                  Message
                </button>
              )}
              <button
                type="button"
                class="secondary"
                aria-label={`Remove ${name}`}
                onClick={() => void removeRelationship(r.id).catch(fail)}
              >
                Remove
              </button>
            </span>
          </li>
        );
      })}
    </ul>
  );
}
