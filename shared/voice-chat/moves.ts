import { ApiError } from '../errors.js';
import type { VoiceMove } from '../outbox/effects.js';
import type { Runtime } from '../runtime.js';
import { joinVoice, leaveVoice, type VoiceRuntime } from './join.js';
import { VoiceStateStore } from './states.js';

/**
 * Applies a moderator's committed move or disconnect (the outbox's `voice` effect, relayed after
 * the command that audited it): only while the user is still in `from` with the same session, so
 * a repeat, or a relay after they left or moved themselves, changes nothing. A move the
 * destination refuses by now (the channel went, they lost CONNECT, no voice node) leaves them
 * where they are: the command checked it before recording, and retrying would hold back the
 * server's later effects.
 */
export async function applyVoiceMove(
  rt: VoiceRuntime & Pick<Runtime, 'logger'>,
  move: VoiceMove,
): Promise<void> {
  const state = await new VoiceStateStore(rt).get(move.user);
  if (!state || state.session_id !== move.session || state.channel_id !== move.from) return;
  if (move.to === null) {
    await leaveVoice(rt, move.user, { sessionId: move.session, channelId: move.from });
    return;
  }
  try {
    await joinVoice(
      rt,
      { userId: move.user, sessionId: state.session_id, authSessionId: state.auth_session_id },
      { channel_id: move.to, self_mute: state.self_mute, self_deaf: state.self_deaf },
      { moved: true },
    );
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    rt.logger.warn(
      { code: err.code, user: move.user, to: move.to },
      'voice move refused since it was decided',
    );
  }
}
