import { ApiError, ConflictError, MissingPermissionError, NotFoundError } from '../errors.js';
import { rooms } from '../events/index.js';
import { Permission, channelAccessFor, has } from '../permissions/index.js';
import type { Runtime } from '../runtime.js';
import { announceVoiceLeave, announceVoiceState } from './events.js';
import { VoiceNodeRegistry } from './nodes.js';
import { endStageIfEmpty } from './stage.js';
import {
  VoiceStateStore,
  presentVoiceState,
  type VoiceStateObject,
  type VoiceStateRecord,
} from './states.js';
import { mintVoiceToken } from './tokens.js';

/** The gateway session a voice state belongs to. */
export interface VoiceSessionRef {
  userId: string;
  /** Gateway session (READY's session_id): its end ends the voice state. */
  sessionId: string;
  /** Auth session: VOICE_SERVER_UPDATE goes to its room. */
  authSessionId: string;
}

/** What `voice_state_update` asks for. */
export interface VoiceJoin {
  channel_id: string;
  self_mute: boolean;
  self_deaf: boolean;
}

/** Voice and stage channels are the ones people connect to. */
export function isVoiceChannelType(type: string): boolean {
  return type === 'voice' || type === 'stage';
}

/**
 * Whether a member with `permissions` in a channel of `channelType` is suppressed: as in Discord's
 * voice states, a member without SPEAK is; on a stage, the audience is too (regaining SPEAK does not
 * make anyone a speaker: a moderator invites them).
 */
export function speakSuppressed(channelType: string, permissions: bigint, current: boolean): boolean {
  if (!has(permissions, Permission.SPEAK)) return true;
  return channelType === 'stage' ? current : false;
}

/** What joining needs of a runtime (the outbox relay applies moderators' moves with it). */
export type VoiceRuntime = Pick<Runtime, 'models' | 'redis' | 'config' | 'events'>;

/**
 * Whether `userId` may be put in `channelId` now: a voice or stage channel of a server they see
 * and may CONNECT to, hosted by a running voice node. Throws what joinVoice answers (`moved`: the
 * refusals read as 400 `cannot_connect`); returns the channel, their permissions there and the node.
 */
export async function admitToChannel(
  rt: VoiceRuntime,
  userId: string,
  channelId: string,
  options: { moved?: boolean } = {},
) {
  const access = await channelAccessFor(rt, userId, channelId);
  const cannot = (err: ApiError): ApiError =>
    options.moved ? new ApiError(400, 'cannot_connect', 'The member may not connect to that channel') : err;
  const serverId = access?.channel.server_id ?? null;
  if (!access || serverId === null) throw cannot(new NotFoundError('channel'));
  const { channel, permissions } = access;
  if (!isVoiceChannelType(channel.channel_type)) {
    throw new ApiError(400, 'invalid_channel_type', 'Only voice and stage channels can be joined', {
      channel_id: 'is not a voice or stage channel',
    });
  }
  if (!has(permissions, Permission.CONNECT)) throw cannot(new MissingPermissionError('CONNECT'));
  const node = await new VoiceNodeRegistry(rt).forChannel(channel.id);
  if (!node) throw new ApiError(503, 'voice_unavailable', 'No voice server is running');
  return { serverId, channel, permissions, node };
}

/**
 * Puts a user in a voice or stage channel (leaving any other): VIEW_CHANNEL and CONNECT, the user
 * limit (MOVE_MEMBERS ignores it), a node that hosts the channel; then VOICE_STATE_UPDATE to the
 * channel and VOICE_SERVER_UPDATE (a fresh single-use token) to the session. Stage joins start
 * suppressed (audience). `moved`: a moderator moves them (no limit; refusals read as cannot_connect).
 */
export async function joinVoice(
  rt: VoiceRuntime,
  who: VoiceSessionRef,
  input: VoiceJoin,
  options: { moved?: boolean } = {},
): Promise<VoiceStateObject> {
  const { serverId, channel, permissions, node } = await admitToChannel(
    rt,
    who.userId,
    input.channel_id,
    options,
  );
  const member = await rt.models.Member.findOne({ where: { server_id: serverId, user_id: who.userId } });
  const record: VoiceStateRecord = {
    server_id: serverId,
    channel_id: channel.id,
    user_id: who.userId,
    session_id: who.sessionId,
    auth_session_id: who.authSessionId,
    self_mute: input.self_mute || input.self_deaf,
    self_deaf: input.self_deaf,
    self_video: false,
    self_stream: false,
    mute: member?.mute ?? false,
    deaf: member?.deaf ?? false,
    // Stage joins start as audience; anywhere, a member without SPEAK is suppressed.
    suppress: speakSuppressed(channel.channel_type, permissions, channel.channel_type === 'stage'),
    request_to_speak_timestamp: null,
    speaking: false,
  };
  const store = new VoiceStateStore(rt);
  const bypass = options.moved === true || has(permissions, Permission.MOVE_MEMBERS);
  const joined = await store.join(record, channel.user_limit, bypass);
  if (joined === 'full') throw new ConflictError('channel_full', 'The channel is full');
  await announceVoiceState(rt, joined.state, joined.previous);
  if (joined.previous && joined.previous.channel_id !== channel.id) {
    await endStageIfEmpty(rt, joined.previous.channel_id);
  }
  const token = await mintVoiceToken(rt, {
    user_id: who.userId,
    server_id: serverId,
    channel_id: channel.id,
    node_id: node.id,
    session_id: who.sessionId,
  });
  await rt.events.dispatch([rooms.session(joined.state.auth_session_id)], 'VOICE_SERVER_UPDATE', {
    server_id: serverId,
    channel_id: channel.id,
    endpoint: node.endpoint,
    path: node.path,
    token,
    expires_in: rt.config.voice.token_ttl_seconds,
    router_rtp_capabilities: node.rtp_capabilities,
  });
  return presentVoiceState(joined.state);
}

/**
 * Takes a user out of voice (with `only`, just if the state still belongs to that session or
 * channel). Returns the state they left, or null when there was nothing to leave.
 */
export async function leaveVoice(
  rt: Pick<Runtime, 'redis' | 'config' | 'events'>,
  userId: string,
  only: { sessionId?: string; channelId?: string } = {},
): Promise<VoiceStateRecord | null> {
  const previous = await new VoiceStateStore(rt).leave(userId, only);
  if (!previous) return null;
  await announceVoiceLeave(rt, previous);
  await endStageIfEmpty(rt, previous.channel_id);
  return previous;
}

/** A member who left or was removed from a server (kick, ban, leave) leaves its voice channels. */
export async function leaveVoiceInServer(
  rt: Pick<Runtime, 'redis' | 'config' | 'events'>,
  serverId: string,
  userId: string,
): Promise<void> {
  const state = await new VoiceStateStore(rt).get(userId);
  if (state?.server_id === serverId) await leaveVoice(rt, userId, { channelId: state.channel_id });
}
