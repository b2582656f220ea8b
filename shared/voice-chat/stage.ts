import { ApiError, ConflictError, MissingPermissionError, NotFoundError } from '../errors.js';
import { rooms } from '../events/index.js';
import {
  Permission,
  ServerPolicy,
  channelAccessFor,
  has,
  permissionNames,
  requireMemberFacts,
  requireOutranks,
} from '../permissions/index.js';
import type { Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';
import { announceVoiceState } from './events.js';
import { voiceKeys } from './keys.js';
import { VoiceStateStore, presentVoiceState, type VoiceStateObject } from './states.js';
import type { StageInstanceObject } from './types.js';

/** Stage moderators: they invite speakers, move them back, and run the stage instance. */
export const STAGE_MODERATOR = Permission.MUTE_MEMBERS | Permission.MOVE_MEMBERS;

/** A stage channel the user can see, with their permissions in it (404 otherwise, 400 if not a stage). */
async function stageAccess(
  rt: Runtime,
  userId: string,
  channelId: string,
): Promise<{ channel: Row<'Channel'>; permissions: bigint }> {
  const access = await channelAccessFor(rt, userId, channelId);
  if (!access) throw new NotFoundError('channel');
  if (access.channel.channel_type !== 'stage') {
    throw new ApiError(400, 'invalid_channel_type', 'Not a stage channel', {
      channel_id: 'is not a stage channel',
    });
  }
  return access;
}

function requireAll(permissions: bigint, needed: bigint): void {
  if (!has(permissions, needed))
    throw new MissingPermissionError(permissionNames(needed & ~permissions).join(', '));
}

/** Changes a stage participant's state and tells everyone (their node enforces it). */
async function changeStageState(
  rt: Runtime,
  channelId: string,
  userId: string,
  patch: { suppress?: boolean; request_to_speak_timestamp?: number | null },
): Promise<VoiceStateObject> {
  const result = await new VoiceStateStore(rt).update(userId, channelId, patch);
  if (!result) throw new NotFoundError('voice_state');
  if (result.changed) await announceVoiceState(rt, result.state);
  return presentVoiceState(result.state);
}

/**
 * `request_to_speak`: an audience member raises (or lowers) their hand; moderators see
 * request_to_speak_timestamp in VOICE_STATE_UPDATE. Raising needs REQUEST_TO_SPEAK.
 */
export async function requestToSpeak(
  rt: Runtime,
  userId: string,
  channelId: string,
  raise: boolean,
): Promise<VoiceStateObject> {
  const { permissions } = await stageAccess(rt, userId, channelId);
  if (raise) requireAll(permissions, Permission.REQUEST_TO_SPEAK);
  return changeStageState(rt, channelId, userId, {
    request_to_speak_timestamp: raise ? Math.floor(Date.now() / 1000) : null,
  });
}

/** `invite_speaker`: a stage moderator lets a participant (themselves included) speak. */
export async function inviteSpeaker(
  rt: Runtime,
  actorId: string,
  channelId: string,
  targetId: string,
): Promise<VoiceStateObject> {
  const { permissions } = await stageAccess(rt, actorId, channelId);
  requireAll(permissions, STAGE_MODERATOR);
  return changeStageState(rt, channelId, targetId, { suppress: false, request_to_speak_timestamp: null });
}

/**
 * `move_to_audience`: a stage moderator (or the speaker themselves) makes a speaker audience again.
 * Like a server mute, it never reaches the owner or anyone ranked at or above the moderator.
 */
export async function moveToAudience(
  rt: Runtime,
  actorId: string,
  channelId: string,
  targetId: string,
): Promise<VoiceStateObject> {
  const { channel, permissions } = await stageAccess(rt, actorId, channelId);
  if (actorId !== targetId) {
    requireAll(permissions, STAGE_MODERATOR);
    const serverId = channel.server_id as string;
    const policy = await ServerPolicy.load(rt, serverId, actorId);
    requireOutranks(policy, await requireMemberFacts(rt, serverId, targetId));
  }
  return changeStageState(rt, channelId, targetId, { suppress: true, request_to_speak_timestamp: null });
}

/** The stage instance of a channel, if one is running. */
export async function getStageInstance(
  rt: Pick<Runtime, 'redis' | 'config'>,
  channelId: string,
): Promise<StageInstanceObject | null> {
  const raw = await rt.redis.get(voiceKeys(rt.config.redis.key_prefix).stage(channelId));
  return raw ? (JSON.parse(raw) as StageInstanceObject) : null;
}

/** The stage instance of a channel the caller can see (404 when there is none). */
export async function readStageInstance(
  rt: Runtime,
  userId: string,
  channelId: string,
): Promise<StageInstanceObject> {
  await stageAccess(rt, userId, channelId);
  const instance = await getStageInstance(rt, channelId);
  if (!instance) throw new NotFoundError('stage_instance');
  return instance;
}

/** Starts a stage instance with a topic (stage moderators; 409 if one runs). STAGE_INSTANCE_CREATE. */
export async function startStageInstance(
  rt: Runtime,
  actorId: string,
  channelId: string,
  topic: string,
): Promise<StageInstanceObject> {
  const { channel, permissions } = await stageAccess(rt, actorId, channelId);
  requireAll(permissions, STAGE_MODERATOR);
  const instance: StageInstanceObject = {
    channel_id: channel.id,
    server_id: channel.server_id as string,
    topic,
    started_by: actorId,
    created_at: Math.floor(Date.now() / 1000),
  };
  const key = voiceKeys(rt.config.redis.key_prefix).stage(channelId);
  const created = await rt.redis.set(key, JSON.stringify(instance), 'NX');
  if (created !== 'OK')
    throw new ConflictError('stage_instance_exists', 'A stage instance is already running');
  await rt.events.dispatch([rooms.channel(channelId)], 'STAGE_INSTANCE_CREATE', instance);
  return instance;
}

/** Changes the topic (stage moderators). STAGE_INSTANCE_UPDATE. */
export async function updateStageInstance(
  rt: Runtime,
  actorId: string,
  channelId: string,
  topic: string,
): Promise<StageInstanceObject> {
  const { permissions } = await stageAccess(rt, actorId, channelId);
  requireAll(permissions, STAGE_MODERATOR);
  const key = voiceKeys(rt.config.redis.key_prefix).stage(channelId);
  const current = await getStageInstance(rt, channelId);
  if (!current) throw new NotFoundError('stage_instance');
  const instance = { ...current, topic };
  // XX: an instance ended meanwhile stays ended.
  if ((await rt.redis.set(key, JSON.stringify(instance), 'XX')) !== 'OK')
    throw new NotFoundError('stage_instance');
  await rt.events.dispatch([rooms.channel(channelId)], 'STAGE_INSTANCE_UPDATE', instance);
  return instance;
}

/** Ends the stage instance (stage moderators). STAGE_INSTANCE_DELETE. */
export async function endStageInstance(rt: Runtime, actorId: string, channelId: string): Promise<void> {
  const { permissions } = await stageAccess(rt, actorId, channelId);
  requireAll(permissions, STAGE_MODERATOR);
  if (!(await dropStageInstance(rt, channelId))) throw new NotFoundError('stage_instance');
}

/** Deletes the instance and announces it; false when there was none. */
async function dropStageInstance(
  rt: Pick<Runtime, 'redis' | 'config' | 'events'>,
  channelId: string,
): Promise<boolean> {
  const key = voiceKeys(rt.config.redis.key_prefix).stage(channelId);
  const raw = await rt.redis.getdel(key);
  if (!raw) return false;
  await rt.events.dispatch(
    [rooms.channel(channelId)],
    'STAGE_INSTANCE_DELETE',
    JSON.parse(raw) as StageInstanceObject,
  );
  return true;
}

/** A stage instance ends by itself when the last participant leaves. */
export async function endStageIfEmpty(
  rt: Pick<Runtime, 'redis' | 'config' | 'events'>,
  channelId: string,
): Promise<void> {
  if ((await new VoiceStateStore(rt).count(channelId)) > 0) return;
  await dropStageInstance(rt, channelId);
}
