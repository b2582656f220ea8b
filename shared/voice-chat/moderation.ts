import { diff, recordAudit } from '../audit.js';
import { ApiError, MissingPermissionError, NotFoundError } from '../errors.js';
import { rooms } from '../events/index.js';
import { runCommand } from '../outbox/index.js';
import { Permission, ServerPolicy, has, requireMemberFacts, requireOutranks } from '../permissions/index.js';
import type { Runtime } from '../runtime.js';
import { announceVoiceState } from './events.js';
import { admitToChannel, isVoiceChannelType } from './join.js';
import { STAGE_MODERATOR } from './stage.js';
import {
  VoiceStateStore,
  presentVoiceState,
  type VoiceStateObject,
  type VoiceStateRecord,
} from './states.js';

/** What a moderator may change about a member's voice (PATCH /servers/{id}/voice-states/{user_id}). */
export interface VoiceModeration {
  /** Server mute (MUTE_MEMBERS): their audio stops reaching anyone. Kept on the member. */
  mute?: boolean;
  /** Server deafen (DEAFEN_MEMBERS): nothing reaches them. Kept on the member. */
  deaf?: boolean;
  /** Move (MOVE_MEMBERS) to another voice or stage channel of the server; null disconnects them. */
  channel_id?: string | null;
  /** Stage only (MUTE_MEMBERS and MOVE_MEMBERS): false makes them a speaker, true audience. */
  suppress?: boolean;
}

function need(perms: bigint, bit: bigint, name: string): void {
  if (!has(perms, bit)) throw new MissingPermissionError(name);
}

/**
 * Applies a moderator's change to a member's voice. Permissions are checked in the member's
 * current channel (server-wide when they are not in voice); a move also needs MOVE_MEMBERS in the
 * destination. The target must rank strictly below the moderator (403 `member_hierarchy`).
 * Audited (member_update for mute/deaf, member_move, member_disconnect): each entry commits with
 * its decision, and the live voice state follows through the outbox (a `voice` effect), so a
 * crash never leaves a change without its entry. Returns the member's voice state afterwards
 * (null: not in voice).
 */
export async function moderateVoice(
  rt: Runtime,
  serverId: string,
  actorId: string,
  targetId: string,
  patch: VoiceModeration,
  reason: string | null,
): Promise<VoiceStateObject | null> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  const member = await rt.models.Member.findOne({ where: { server_id: serverId, user_id: targetId } });
  if (!member) throw new NotFoundError('member');
  const store = new VoiceStateStore(rt);
  const current = await store.get(targetId);
  const state = current && current.server_id === serverId ? current : null;
  const here = state ? await rt.models.Channel.findByPk(state.channel_id) : null;
  // The target's channel counts as unseen (404) when the moderator cannot view it.
  const perms = here ? await policy.requireChannel(here) : policy.permissions;

  if (patch.mute !== undefined) need(perms, Permission.MUTE_MEMBERS, 'MUTE_MEMBERS');
  if (patch.deaf !== undefined) need(perms, Permission.DEAFEN_MEMBERS, 'DEAFEN_MEMBERS');
  if (patch.channel_id !== undefined) need(perms, Permission.MOVE_MEMBERS, 'MOVE_MEMBERS');
  if (patch.suppress !== undefined) {
    if (!here || here.channel_type !== 'stage') {
      throw new ApiError(400, 'not_in_stage', 'The member is not in a stage channel', {
        suppress: 'not in a stage channel',
      });
    }
    need(perms, STAGE_MODERATOR, 'MUTE_MEMBERS, MOVE_MEMBERS');
  }
  // The hierarchy, as for kicks: never the owner or anyone ranked at or above the moderator (their
  // own voice state excepted, as a moderator may move or mute themselves).
  if (targetId !== actorId) requireOutranks(policy, await requireMemberFacts(rt, serverId, targetId));
  if (patch.channel_id !== undefined && !state) {
    throw new ApiError(400, 'not_in_voice', 'The member is not in a voice channel', {
      channel_id: 'not in voice',
    });
  }
  if (patch.channel_id) {
    const destination = await rt.models.Channel.findByPk(patch.channel_id);
    if (!destination || destination.server_id !== serverId) throw new NotFoundError('channel');
    const there = await policy.requireChannel(destination);
    if (!isVoiceChannelType(destination.channel_type)) {
      throw new ApiError(400, 'invalid_channel_type', 'Only voice and stage channels can be joined', {
        channel_id: 'is not a voice or stage channel',
      });
    }
    need(there, Permission.MOVE_MEMBERS, 'MOVE_MEMBERS');
  }

  const changes = diff(
    { mute: member.mute, deaf: member.deaf },
    {
      ...(patch.mute !== undefined ? { mute: patch.mute } : {}),
      ...(patch.deaf !== undefined ? { deaf: patch.deaf } : {}),
    },
  );
  if (changes.length > 0) {
    await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
      member.set({ mute: patch.mute ?? member.mute, deaf: patch.deaf ?? member.deaf });
      await member.save({ transaction });
      fx.invalidate({ servers: [serverId] });
      await recordAudit(
        rt,
        { serverId, actorId, action: 'member_update', targetType: 'user', targetId, changes, reason },
        transaction,
      );
      // The live voice state follows the stored server mute / deafen once this commits.
      fx.enforceVoice(serverId, [targetId]);
    });
  }

  let result: VoiceStateRecord | null = state;
  const fields = {
    ...(patch.mute !== undefined ? { mute: patch.mute } : {}),
    ...(patch.deaf !== undefined ? { deaf: patch.deaf } : {}),
    ...(patch.suppress !== undefined ? { suppress: patch.suppress, request_to_speak_timestamp: null } : {}),
  };
  if (state && Object.keys(fields).length > 0) {
    const updated = await store.update(targetId, state.channel_id, fields);
    if (updated?.changed) await announceVoiceState(rt, updated.state);
    result = updated?.state ?? null;
  }

  if (state && patch.channel_id !== undefined && patch.channel_id !== state.channel_id) {
    // The destination, when not null, was checked above.
    const to = patch.channel_id;
    // Refused now (400 cannot_connect, 503) rather than after the decision is recorded.
    if (to !== null) await admitToChannel(rt, targetId, to, { moved: true });
    // The audit entry and the decision commit together; the change follows from the outbox.
    await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
      await recordAudit(
        rt,
        {
          serverId,
          actorId,
          action: to === null ? 'member_disconnect' : 'member_move',
          targetType: 'user',
          targetId,
          changes: [{ key: 'channel_id', old: state.channel_id, new: to }],
          reason,
        },
        transaction,
      );
      fx.moveVoice(serverId, { user: targetId, session: state.session_id, from: state.channel_id, to });
    });
    if (to === null) return null;
    // Relayed before runCommand resolved: the state after the move (or, refused meanwhile, before it).
    const now = await store.get(targetId);
    return now?.server_id === serverId ? presentVoiceState(now) : null;
  }
  return result ? presentVoiceState(result) : null;
}

/** The voice states of a server in the channels the caller can see. */
export async function listVoiceStates(
  rt: Runtime,
  serverId: string,
  userId: string,
): Promise<VoiceStateObject[]> {
  const policy = await ServerPolicy.load(rt, serverId, userId);
  const states = await new VoiceStateStore(rt).inServers([serverId]);
  const channels = await rt.models.Channel.findAll({
    where: { id: [...new Set(states.map((s) => s.channel_id))] },
  });
  const visible = new Set<string>();
  for (const channel of channels) {
    if (has(await policy.channelPermissions(channel), Permission.VIEW_CHANNEL)) visible.add(channel.id);
  }
  return states.filter((s) => visible.has(s.channel_id)).map(presentVoiceState);
}
