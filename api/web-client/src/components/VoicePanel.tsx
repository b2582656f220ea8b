import type { Channel, VoiceState } from '../api.ts';
import { useUser } from '../users.ts';

function Participant({ state, receiving, isMe }: { state: VoiceState; receiving: boolean; isMe: boolean }) {
  const name = useUser(state.user_id)?.username ?? 'Someone';
  const notes = [
    state.speaking ? 'Speaking' : null,
    state.self_mute || state.mute ? 'Muted' : null,
    receiving ? 'Receiving audio' : null,
    isMe ? 'You' : null,
  ].filter(Boolean);
  return (
    <li class={state.speaking ? 'speaking' : undefined}>
      <span class="name">{name}</span> <span class="status">{notes.join(', ')}</span>
    </li>
  );
}

/** A voice channel: who is in it (speaking, muted, whose audio arrives), and Join / Mute / Leave. */
export function VoicePanel({
  channel,
  states,
  meId,
  joined,
  joining,
  muted,
  receiving,
  onJoin,
  onMute,
  onLeave,
}: {
  channel: Channel;
  states: VoiceState[];
  meId: string;
  joined: boolean;
  joining: boolean;
  muted: boolean;
  receiving: string[];
  onJoin: () => void;
  onMute: (muted: boolean) => void;
  onLeave: () => void;
}) {
  return (
    <section class="voice" aria-labelledby="voice-heading">
      <h1 id="voice-heading">
        <span aria-hidden="true">🔊 </span>
        {channel.name}
      </h1>
      <ul aria-label="In voice">
        {states.map((s) => (
          <Participant
            key={s.user_id}
            state={s}
            receiving={receiving.includes(s.user_id)}
            isMe={s.user_id === meId}
          />
        ))}
      </ul>
      {states.length === 0 && <p>No one is here yet.</p>}
      <div class="buttons">
        {joined ? (
          <>
            <button type="button" aria-pressed={muted} onClick={() => onMute(!muted)}>
              Mute
            </button>
            <button type="button" class="danger" onClick={onLeave}>
              Leave
            </button>
          </>
        ) : (
          <button type="button" disabled={joining} onClick={onJoin}>
            {joining ? 'Joining…' : 'Join voice'}
          </button>
        )}
      </div>
    </section>
  );
}
