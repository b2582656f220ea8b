import type { Attributes, Models } from '../db/models/index.js';
import { attributeList, prepared, runPrepared, type PreparedStatement } from '../db/prepared.js';
import type { Runtime } from '../runtime.js';
import { Permission, has } from './bits.js';
import { channelPermissions, type MemberFacts } from './compute.js';
import { permissionSourceId, privateThreadGate, toOverwrites } from './policy.js';

/** One row per server the user is in and role that counts there (@everyone, theirs); role null: none. */
interface FactsRow {
  server_id: string;
  owner_id: string;
  timeout_until: Date | null;
  role_id: string | null;
  permissions: string | null;
}

interface Statements {
  facts: PreparedStatement<FactsRow>;
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
    // loadMemberFacts for every server at once: the server's owner, the member's timeout, the
    // @everyone role (id = server id) and the member's roles of that server.
    facts: prepared(
      'visible_member_facts',
      `SELECT m.server_id, s.owner_id, m.timeout_until, r.id AS role_id, r.permissions
         FROM members m
         JOIN servers s ON s.id = m.server_id
         LEFT JOIN roles r ON r.server_id = m.server_id
          AND (r.id = m.server_id OR r.id IN (SELECT mr.role_id FROM member_roles mr
                                               WHERE mr.server_id = m.server_id AND mr.user_id = m.user_id))
        WHERE m.user_id = $1`,
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

/** Each server's member facts, from FactsRow rows. */
function factsByServer(userId: string, rows: FactsRow[]): Map<string, MemberFacts> {
  const facts = new Map<string, MemberFacts>();
  for (const row of rows) {
    let f = facts.get(row.server_id);
    if (!f) {
      f = {
        userId,
        serverId: row.server_id,
        ownerId: row.owner_id,
        everyone: 0n,
        roles: [],
        timeoutUntil: row.timeout_until,
      };
      facts.set(row.server_id, f);
    }
    if (row.role_id === null || row.permissions === null) continue;
    if (row.role_id === row.server_id) f.everyone = BigInt(row.permissions);
    else f.roles.push({ id: row.role_id, permissions: BigInt(row.permissions) });
  }
  return facts;
}

/** What visibleChannels reads: the channels, and the overwrites of every server channel among them. */
export interface VisibleChannels {
  channels: Attributes<'Channel'>[];
  /** The overwrites of the user's servers' channels (all that decided visibility). */
  overwrites: Attributes<'PermissionOverwrite'>[];
}

/**
 * visibleChannels with the overwrites it read (READY presents them with the channels). Server
 * channels come grouped by server (by id), in position order; private channels follow, by id.
 */
export async function loadVisibleChannels(
  rt: Pick<Runtime, 'models' | 'sequelize'>,
  userId: string,
): Promise<VisibleChannels> {
  const s = visibilityStatements(rt.models);
  const [factRows, rows] = await Promise.all([
    runPrepared(rt.sequelize, s.facts, [userId]),
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
  const bySourceRows = new Map<string, Attributes<'PermissionOverwrite'>[]>();
  for (const o of overwrites) {
    const list = bySourceRows.get(o.channel_id);
    if (list) list.push(o);
    else bySourceRows.set(o.channel_id, [o]);
  }
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
  return { channels: [...visible, ...privateChannels], overwrites };
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
