import { QueryTypes } from 'sequelize';
import { isThreadType, type Row } from '../shared/db/models/index.js';
import type { ReadyPayload } from '../shared/events/index.js';
import { presentServerChannels } from '../shared/domain/channels/present.js';
import { presentServer } from '../shared/presenters/server.js';
import { visibleChannels } from '../shared/permissions/index.js';
import { presentPrivateChannel } from '../shared/presenters/private-channel.js';
import { presentRelationship } from '../shared/presenters/relationship.js';
import { presentSelf } from '../shared/presenters/user.js';
import { presentThread } from '../shared/presenters/thread.js';
import { loadReadStates } from '../shared/read-states.js';
import type { Runtime } from '../shared/runtime.js';
import { VoiceStateStore, presentVoiceState } from '../shared/voice-chat/states.js';

/** READY's payload and the rooms the connection belongs in. */
export interface ReadyState {
  payload: Omit<ReadyPayload, 'session_id'>;
  rooms: { servers: string[]; channels: string[] };
}

/**
 * What a new connection needs: the user, their servers, the channels they can see (with the active
 * threads among them), their relationships and read states. Channels are those the policy lets
 * them view (shared/permissions); a thread is seen by whoever sees its parent.
 */
export async function loadReadyState(rt: Runtime, user: Row<'User'>): Promise<ReadyState> {
  const { Server, Relationship, User } = rt.models;
  const memberships = await rt.sequelize.query<{ server_id: string; member_count: string }>(
    `SELECT m.server_id, (SELECT count(*) FROM members c WHERE c.server_id = m.server_id) AS member_count
       FROM members m WHERE m.user_id = $1`,
    { bind: [user.id], type: QueryTypes.SELECT },
  );
  const counts = new Map(memberships.map((m) => [m.server_id, Number(m.member_count)]));
  const serverIds = [...counts.keys()];
  const [servers, channels, relationships] = await Promise.all([
    Server.findAll({ where: { id: serverIds }, order: [['id', 'ASC']] }),
    visibleChannels(rt, user.id),
    Relationship.findAll({ where: { user_id: user.id } }),
  ]);
  const threads = channels.filter((c) => isThreadType(c.channel_type));
  const serverChannels = channels.filter((c) => c.server_id !== null && !isThreadType(c.channel_type));
  // READY lists active threads; archived ones are fetched per channel, but their rooms are joined.
  const activeThreads = await rt.models.ThreadMetadata.findAll({
    where: { channel_id: threads.map((t) => t.id), archived: false },
  });
  const threadById = new Map(threads.map((t) => [t.id, t]));
  const threadObjects = activeThreads.flatMap((meta) => {
    const thread = threadById.get(meta.channel_id);
    return thread ? [presentThread(thread, meta)] : [];
  });
  const privateChannels = channels.filter((c) => c.server_id === null);
  const privateIds = privateChannels.map((c) => c.id);
  const recipients = await rt.models.ChannelRecipient.findAll({ where: { channel_id: privateIds } });
  const serverChannelObjects = await presentServerChannels(rt, serverChannels);
  const others = await User.findAll({
    where: {
      id: [...new Set([...relationships.map((r) => r.target_id), ...recipients.map((r) => r.user_id)])],
    },
  });
  const byId = new Map([...others, user].map((u) => [u.id, u]));
  // Voice states of the channels they can see (voice states live in Redis, shared/voice).
  const seen = new Set(serverChannels.map((c) => c.id));
  const voiceStates = (await new VoiceStateStore(rt).inServers(serverIds))
    .filter((s) => seen.has(s.channel_id))
    .map(presentVoiceState);
  const readStates = await loadReadStates(rt, user.id, [
    ...serverChannels.map((c) => c.id),
    ...threadObjects.map((t) => t.id),
    ...privateIds,
  ]);
  return {
    payload: {
      user: presentSelf(user),
      servers: servers.map((s) => presentServer(s, counts.get(s.id) ?? 0)),
      channels: [
        ...serverChannelObjects,
        ...threadObjects,
        ...privateChannels.map((c) =>
          presentPrivateChannel(
            c,
            recipients.filter((r) => r.channel_id === c.id).flatMap((r) => byId.get(r.user_id) ?? []),
            user.id,
          ),
        ),
      ],
      relationships: relationships.flatMap((r) => {
        const other = byId.get(r.target_id);
        return other ? [presentRelationship(other, r.status)] : [];
      }),
      presences: [],
      read_states: readStates,
      voice_states: voiceStates,
    },
    rooms: { servers: serverIds, channels: channels.map((c) => c.id) },
  };
}
