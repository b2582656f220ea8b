import type { Member } from '../api.ts';
import type { OwnStatus, Presence } from '../gateway.ts';

/** How each status reads (the text is the accessible status; the dot is decoration). */
export const STATUS_LABELS: Record<Presence['status'], string> = {
  online: 'Online',
  idle: 'Idle',
  dnd: 'Do not disturb',
  invisible: 'Invisible',
  offline: 'Offline',
};

const OWN_STATUSES: OwnStatus[] = ['online', 'idle', 'dnd', 'invisible'];

/** The open server's members, each with their status; online ones first. */
export function MemberList({
  members,
  presences,
  meId,
}: {
  members: Member[];
  presences: Record<string, Presence['status']>;
  meId: string;
}) {
  const statusOf = (m: Member): Presence['status'] => {
    const s = presences[m.user.id] ?? 'offline';
    // Others see an invisible user as offline; the user sees their own choice.
    return s === 'invisible' && m.user.id !== meId ? 'offline' : s;
  };
  const sorted = [...members].sort(
    (a, b) =>
      Number(statusOf(a) === 'offline') - Number(statusOf(b) === 'offline') ||
      (a.nick ?? a.user.username).localeCompare(b.nick ?? b.user.username),
  );
  return (
    <aside class="members" aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <ul aria-label="Members">
        {sorted.map((m) => {
          const status = statusOf(m);
          return (
            <li key={m.user.id} class={`member ${status}`}>
              <span class={`dot ${status}`} aria-hidden="true" />
              <span class="name">{m.nick ?? m.user.username}</span>{' '}
              <span class="status">{STATUS_LABELS[status]}</span>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}

/** The user's own status picker. */
export function StatusPicker({
  status,
  onChange,
}: {
  status: Presence['status'];
  onChange: (status: OwnStatus) => void;
}) {
  return (
    <div class="status-picker">
      <label for="own-status">Status</label>
      <select
        id="own-status"
        value={status === 'offline' ? 'online' : status}
        onChange={(e) => onChange(e.currentTarget.value as OwnStatus)}
      >
        {OWN_STATUSES.map((s) => (
          <option key={s} value={s}>
            {STATUS_LABELS[s]}
          </option>
        ))}
      </select>
    </div>
  );
}
