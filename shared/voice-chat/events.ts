import { rooms } from '../events/index.js';
import type { Runtime } from '../runtime.js';
import { publishVoiceControl } from './control.js';
import { leftVoiceState, presentVoiceState, type VoiceStateRecord } from './states.js';

/**
 * Tells everyone concerned that a voice state changed: the viewers of its channel and the user's
 * own sessions; when it moved, the viewers of the old channel see it leave (those of the new one
 * see it arrive instead). The voice node hosting each channel re-reads and enforces it first.
 */
export async function announceVoiceState(
  rt: Pick<Runtime, 'redis' | 'config' | 'events'>,
  state: VoiceStateRecord,
  previous: VoiceStateRecord | null = null,
): Promise<void> {
  const moved = previous !== null && previous.channel_id !== state.channel_id;
  if (moved)
    await publishVoiceControl(rt, { type: 'sync', channel_id: previous.channel_id, user_id: state.user_id });
  await publishVoiceControl(rt, { type: 'sync', channel_id: state.channel_id, user_id: state.user_id });
  if (moved) {
    await rt.events.dispatch(
      [rooms.channel(previous.channel_id)],
      'VOICE_STATE_UPDATE',
      leftVoiceState(previous),
      [rooms.channel(state.channel_id), rooms.user(state.user_id)],
    );
  }
  await rt.events.dispatch(
    [rooms.channel(state.channel_id), rooms.user(state.user_id)],
    'VOICE_STATE_UPDATE',
    presentVoiceState(state),
  );
}

/** Tells the old channel's viewers and the user that the user left voice; its node drops them. */
export async function announceVoiceLeave(
  rt: Pick<Runtime, 'redis' | 'config' | 'events'>,
  previous: VoiceStateRecord,
): Promise<void> {
  await publishVoiceControl(rt, { type: 'sync', channel_id: previous.channel_id, user_id: previous.user_id });
  await rt.events.dispatch(
    [rooms.channel(previous.channel_id), rooms.user(previous.user_id)],
    'VOICE_STATE_UPDATE',
    leftVoiceState(previous),
  );
}
