import type { Attributes, Models } from '../db/models/index.js';
import { attributeList, prepared, runPrepared, type PreparedStatement } from '../db/prepared.js';
import { overwritesByChannel } from '../presenters/server.js';
import type { Runtime } from '../runtime.js';
import { Permission, has } from './bits.js';
import { channelPermissions, type MemberFacts } from './compute.js';
import { permissionSourceId, privateThreadGate, toOverwrites } from './policy.js';

/** A member's facts in one server as MEMBER_FACTS_COLUMNS read them (roles: "<id>:<permissions>"). */
export interface MemberFactsRow {
  server_id: string;
  owner_id: string;
  timeout_until: Date | null;
  everyone: string | null;
  roles: string[];
}

/**
 * loadMemberFacts as select-list columns of a query over `members m JOIN servers s` (one row per
 * server): the owner, the member's timeout, @everyone's permissions (the role whose id is the
 * server's) and the member's other roles of that server.
 */
export const MEMBER_FACTS_COLUMNS = `m.server_id, s.owner_id, m.timeout_until,
  (SELECT r.permissions FROM roles r WHERE r.id = m.server_id AND r.server_id = m.server_id) AS everyone,
  ARRAY(SELECT r.id || ':' || r.permissions FROM member_roles mr
          JOIN roles r ON r.id = mr.role_id AND r.server_id = mr.server_id
         WHERE mr.server_id = m.server_id AND mr.user_id = m.user_id AND r.id <> m.server_id) AS roles`;

interface Statements {
  facts: PreparedStatement<MemberFactsRow>;
  channels: PreparedStatement<Attributes<'Channel'> & { private_order: 0 | 1 }>;
  overwrites: PreparedStatement<Attributes<'PermissionOverwrite'>>;
  joinedThreads: PreparedStatement<{ thread_id: string }>;
}

let statements: Statements | null = null;

/**
 * The statements of visibleChannels (READY on every gateway connect, so a reconnect storm runs
 * them thousands of times): prepared, rows as the models read them, no model instances.
 */
function visibilityStatements(models: Models): Statements {
  statements ??= {
    facts: prepared(
      'visible_member_facts',
      `SELECT ${MEMBER_FACTS_COLUMNS} FROM members m JOIN servers s ON s.id = m.server_id WHERE m.user_id = $1`,
    ),
    // The server channels grouped by server, in position order; then the private channels by id.
    channels: prepared(
      'visible_channels',
      `SELECT 0 AS private_order, ${attributeList(models.Channel)} FROM channels
        WHERE server_id IN (SELECT server_id FROM members WHERE user_id = $1)
       UNION ALL
       SELECT 1, ${attributeList(models.Channel)} FROM channels
        WHERE id IN (SELECT channel_id FROM channel_recipients WHERE user_id = $1)
       ORDER BY private_order, server_id, position, id`,
    ),
    overwrites: prepared(
      'visible_overwrites',
      `SELECT ${attributeList(models.PermissionOverwrite)} FROM permission_overwrites
        WHERE channel_id = ANY($1::bigint[])`,
    ),
    joinedThreads: prepared(
      'visible_joined_threads',
      'SELECT thread_id FROM thread_members WHERE user_id = $1 AND thread_id = ANY($2::bigint[])',
    ),
  };
  return statements;
}

/** Each server's member facts, from MemberFactsRow rows. */
function factsByServer(userId: string, rows: readonly MemberFactsRow[]): Map<string, MemberFacts> {
  return new Map(
    rows.map((row) => [
      row.server_id,
      {
        userId,
        serverId: row.server_id,
        ownerId: row.owner_id,
        everyone: BigInt(row.everyone ?? '0'),
        roles: row.roles.map((role) => {
          const [id = '', permissions = '0'] = role.split(':');
          return { id, permissions: BigInt(permissions) };
        }),
        timeoutUntil: row.timeout_until,
      },
    ]),
  );
}

/** What visibleChannels reads: the channels, and the overwrites of every server channel among them. */
export interface VisibleChannels {
  channels: Attributes<'Channel'>[];
  /** The overwrites of the user's servers' channels (all that decided visibility), by channel id. */
  overwrites: Map<string, Attributes<'PermissionOverwrite'>[]>;
}

/**
 * visibleChannels with the overwrites it read (READY presents them with the channels). Server
 * channels come grouped by server (by id), in position order; private channels follow, by id.
 */
export async function loadVisibleChannels(
  rt: Pick<Runtime, 'models' | 'sequelize'>,
  userId: string,
  /** The member's facts in each of their servers, when the caller read them already (READY). */
  memberFacts?: readonly MemberFactsRow[],
): Promise<VisibleChannels> {
  const s = visibilityStatements(rt.models);
  const [factRows, rows] = await Promise.all([
    memberFacts ?? runPrepared(rt.sequelize, s.facts, [userId]),
    runPrepared(rt.sequelize, s.channels, [userId]),
  ]);
  const facts = factsByServer(userId, factRows);
  const channels: Attributes<'Channel'>[] = [];
  const privateChannels: Attributes<'Channel'>[] = [];
  for (const { private_order, ...channel } of rows) {
    if (private_order === 1) privateChannels.push(channel);
    // A server they left between the two reads has facts no more: its channels are not theirs.
    else if (channel.server_id !== null && facts.has(channel.server_id)) channels.push(channel);
  }
  const sources = [...new Set(channels.flatMap((c) => permissionSourceId(c) ?? []))];
  const privateThreads = channels.filter((c) => c.channel_type === 'private_thread').map((c) => c.id);
  const [overwrites, joined] = await Promise.all([
    sources.length === 0 ? [] : runPrepared(rt.sequelize, s.overwrites, [sources]),
    privateThreads.length === 0 ? [] : runPrepared(rt.sequelize, s.joinedThreads, [userId, privateThreads]),
  ]);
  const joinedIds = new Set(joined.map((j) => j.thread_id));
  const bySourceRows = overwritesByChannel(overwrites);
  const bySource = new Map<string, bigint>();
  const inherited = (channel: Attributes<'Channel'>): bigint => {
    const source = permissionSourceId(channel);
    const serverFacts = facts.get(channel.server_id ?? '');
    if (source === null || !serverFacts) return 0n;
    let perms = bySource.get(source);
    if (perms === undefined) {
      perms = channelPermissions(serverFacts, toOverwrites(bySourceRows.get(source) ?? []));
      bySource.set(source, perms);
    }
    return perms;
  };
  const visible = channels.filter((channel) =>
    has(privateThreadGate(channel, inherited(channel), joinedIds.has(channel.id)), Permission.VIEW_CHANNEL),
  );
  return { channels: [...visible, ...privateChannels], overwrites: bySourceRows };
}

/**
 * The channels (threads included) of every server the user is in that they may see, plus their
 * private channels: what READY lists and which rooms their connections join.
 */
export async function visibleChannels(
  rt: Pick<Runtime, 'models' | 'sequelize'>,
  userId: string,
): Promise<Attributes<'Channel'>[]> {
  return (await loadVisibleChannels(rt, userId)).channels;
}
