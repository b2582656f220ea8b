import { isThreadType, type Attributes, type Models } from '../shared/db/models/index.js';
import { attributeList, prepared, runPrepared, type PreparedStatement } from '../shared/db/prepared.js';
import type { ReadyPayload } from '../shared/events/index.js';
import { presentChannel, presentServer } from '../shared/presenters/server.js';
import {
  MEMBER_FACTS_COLUMNS,
  loadVisibleChannels,
  type MemberFactsRow,
} from '../shared/permissions/index.js';
import { presentPrivateChannels } from '../shared/presenters/private-channel.js';
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

interface ReadyStatements {
  user: PreparedStatement<Attributes<'User'>>;
  servers: PreparedStatement<Attributes<'Server'> & MemberFactsRow & { member_count: string }>;
  relationships: PreparedStatement<Attributes<'Relationship'>>;
  activeThreads: PreparedStatement<Attributes<'ThreadMetadata'>>;
  recipients: PreparedStatement<Attributes<'ChannelRecipient'>>;
  users: PreparedStatement<Attributes<'User'>>;
}

let statements: ReadyStatements | null = null;

/**
 * READY's reads, run on every gateway connect (a reconnect storm runs them thousands of times):
 * prepared statements, rows as the models read them, no model instances.
 */
function readyStatements(models: Models): ReadyStatements {
  statements ??= {
    user: prepared('ready_user', `SELECT ${attributeList(models.User)} FROM users WHERE id = $1`),
    servers: prepared(
      'ready_servers',
      `SELECT ${attributeList(models.Server, 's')},
              (SELECT count(*) FROM members c WHERE c.server_id = s.id) AS member_count,
              ${MEMBER_FACTS_COLUMNS}
         FROM members m JOIN servers s ON s.id = m.server_id
        WHERE m.user_id = $1
        ORDER BY s.id`,
    ),
    relationships: prepared(
      'ready_relationships',
      `SELECT ${attributeList(models.Relationship)} FROM relationships WHERE user_id = $1`,
    ),
    activeThreads: prepared(
      'ready_active_threads',
      `SELECT ${attributeList(models.ThreadMetadata)} FROM thread_metadata
        WHERE channel_id = ANY($1::bigint[]) AND archived = false`,
    ),
    recipients: prepared(
      'ready_recipients',
      `SELECT ${attributeList(models.ChannelRecipient)} FROM channel_recipients
        WHERE channel_id = ANY($1::bigint[])`,
    ),
    users: prepared(
      'ready_users',
      `SELECT ${attributeList(models.User)} FROM users WHERE id = ANY($1::bigint[])`,
    ),
  };
  return statements;
}

/** The user a new session is for, as of now (READY stands for everything up to its start). */
export async function loadReadyUser(rt: Runtime, userId: string): Promise<Attributes<'User'>> {
  const [user] = await runPrepared(rt.sequelize, readyStatements(rt.models).user, [userId]);
  if (!user) throw new Error(`unknown user ${userId}`);
  return user;
}

/**
 * What a new connection needs: the user, their servers, the channels they can see (with the active
 * threads among them), their relationships and read states. Channels are those the policy lets
 * them view (shared/permissions); a thread is seen by whoever sees its parent.
 */
export async function loadReadyState(rt: Runtime, user: Attributes<'User'>): Promise<ReadyState> {
  const s = readyStatements(rt.models);
  // The servers carry the member's facts in each, which visibility needs.
  const [servers, relationships] = await Promise.all([
    runPrepared(rt.sequelize, s.servers, [user.id]),
    runPrepared(rt.sequelize, s.relationships, [user.id]),
  ]);
  const visible = await loadVisibleChannels(rt, user.id, servers);
  const { channels, overwrites } = visible;
  const serverIds = servers.map((m) => m.id);
  const threads = channels.filter((c) => isThreadType(c.channel_type));
  const serverChannels = channels.filter((c) => c.server_id !== null && !isThreadType(c.channel_type));
  const privateChannels = channels.filter((c) => c.server_id === null);
  const privateIds = privateChannels.map((c) => c.id);
  // READY lists active threads; archived ones are fetched per channel, but their rooms are joined.
  const [activeThreads, recipients] = await Promise.all([
    threads.length === 0 ? [] : runPrepared(rt.sequelize, s.activeThreads, [threads.map((t) => t.id)]),
    privateIds.length === 0 ? [] : runPrepared(rt.sequelize, s.recipients, [privateIds]),
  ]);
  const threadById = new Map(threads.map((t) => [t.id, t]));
  const threadObjects = activeThreads.flatMap((meta) => {
    const thread = threadById.get(meta.channel_id);
    return thread ? [presentThread(thread, meta)] : [];
  });
  const serverChannelObjects = serverChannels.map((c) => presentChannel(c, overwrites.get(c.id) ?? []));
  const otherIds = [
    ...new Set([...relationships.map((r) => r.target_id), ...recipients.map((r) => r.user_id)]),
  ];
  const others = otherIds.length === 0 ? [] : await runPrepared(rt.sequelize, s.users, [otherIds]);
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
      user: presentSelf(rt.config, user),
      servers: servers.map((server) => presentServer(rt.config, server, Number(server.member_count))),
      channels: [
        ...serverChannelObjects,
        ...threadObjects,
        ...presentPrivateChannels(rt.config, privateChannels, recipients, byId, user.id),
      ],
      relationships: relationships.flatMap((r) => {
        const other = byId.get(r.target_id);
        return other ? [presentRelationship(rt.config, other, r.status)] : [];
      }),
      presences: [],
      read_states: readStates,
      voice_states: voiceStates,
    },
    rooms: { servers: serverIds, channels: channels.map((c) => c.id) },
  };
}
