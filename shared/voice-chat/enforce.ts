import { Permission, channelAccessFor, has } from '../permissions/index.js';
import type { Runtime } from '../runtime.js';
import { announceVoiceState } from './events.js';
import { leaveVoice, speakSuppressed } from './join.js';
import { VoiceStateStore, type VoiceStatePatch, type VoiceStateRecord } from './states.js';

/**
 * Brings the live voice states of `userIds` in `serverId` in line with their permissions and
 * member rows now: one who may no longer see the channel or CONNECT to it (a role or overwrite
 * change, a timeout, a removal) is disconnected; one who lost SPEAK is suppressed (their node
 * pauses what they send), and one who regained it in a voice channel is heard again; server mute
 * and deafen follow the member row. Call after anything that changes these (it is the outbox's
 * `voice` and `permissions` effects); running it again changes nothing.
 */
export async function enforceVoicePermissions(
  rt: Pick<Runtime, 'models' | 'redis' | 'config' | 'events'>,
  serverId: string,
  userIds: string[],
): Promise<void> {
  const wanted = new Set(userIds);
  const store = new VoiceStateStore(rt);
  const states = (await store.inServers([serverId])).filter((s) => wanted.has(s.user_id));
  for (const state of states) await enforceOne(rt, store, state);
}

/**
 * enforceVoicePermissions for everyone in voice in `serverId` (the outbox's `voice` refresh): after
 * the server's deletion, each of them leaves (their channel is gone).
 */
export async function enforceVoiceInServer(
  rt: Pick<Runtime, 'models' | 'redis' | 'config' | 'events'>,
  serverId: string,
): Promise<void> {
  const store = new VoiceStateStore(rt);
  for (const state of await store.inServers([serverId])) await enforceOne(rt, store, state);
}

/**
 * enforceVoicePermissions for everyone in voice in `channelId` (the outbox's `voice-channel`
 * refresh): after the channel's deletion, each of them leaves.
 */
export async function enforceVoiceInChannel(
  rt: Pick<Runtime, 'models' | 'redis' | 'config' | 'events'>,
  channelId: string,
): Promise<void> {
  const store = new VoiceStateStore(rt);
  for (const userId of await store.members(channelId)) {
    const state = await store.get(userId);
    if (state?.channel_id === channelId) await enforceOne(rt, store, state);
  }
}

async function enforceOne(
  rt: Pick<Runtime, 'models' | 'redis' | 'config' | 'events'>,
  store: VoiceStateStore,
  state: VoiceStateRecord,
): Promise<void> {
  // The database, not the request cache: this runs right after the write that changed permissions.
  const access = await channelAccessFor({ models: rt.models }, state.user_id, state.channel_id);
  if (!access || !has(access.permissions, Permission.CONNECT)) {
    await leaveVoice(rt, state.user_id, { channelId: state.channel_id });
    return;
  }
  const patch: VoiceStatePatch = {};
  const suppress = speakSuppressed(access.channel.channel_type, access.permissions, state.suppress);
  if (suppress !== state.suppress) {
    patch.suppress = suppress;
    if (suppress) patch.request_to_speak_timestamp = null;
  }
  const member = await rt.models.Member.findOne({
    where: { server_id: state.server_id, user_id: state.user_id },
    attributes: ['mute', 'deaf'],
  });
  if (member && member.mute !== state.mute) patch.mute = member.mute;
  if (member && member.deaf !== state.deaf) patch.deaf = member.deaf;
  if (Object.keys(patch).length === 0) return;
  const updated = await store.update(state.user_id, state.channel_id, patch);
  if (updated?.changed) await announceVoiceState(rt, updated.state);
}
