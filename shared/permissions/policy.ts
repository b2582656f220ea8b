import { Op, type Transaction } from 'sequelize';
import { MissingPermissionError, NotFoundError } from '../errors.js';
import { THREAD_CHANNEL_TYPES, isThreadType, type Attributes, type Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';
import { Permission, has, permissionNames } from './bits.js';
import {
  cachedFactsAndOverwrites,
  cachedMemberFacts,
  cachedOverwrites,
  type LoadedFacts,
} from './facts-cache.js';
import {
  channelPermissions,
  highestPosition,
  serverPermissions,
  type MemberFacts,
  type Overwrite,
} from './compute.js';

/** What a recipient may do in a DM or their notes channel. */
export const PRIVATE_CHANNEL_PERMISSIONS: bigint =
  Permission.VIEW_CHANNEL |
  Permission.SEND_MESSAGES |
  Permission.READ_MESSAGE_HISTORY |
  Permission.ADD_REACTIONS |
  Permission.EMBED_LINKS |
  Permission.ATTACH_FILES |
  Permission.PIN_MESSAGES;

type Models = Runtime['models'];

/**
 * Runs `loads` at once, or one after another inside a transaction: its one connection would
 * queue them anyway, and pg deprecates overlapping queries on a client.
 */
export async function loadAll<T extends readonly unknown[]>(
  transaction: Transaction | undefined,
  loads: { [K in keyof T]: () => Promise<T[K]> },
): Promise<T> {
  if (!transaction) return (await Promise.all(loads.map((load) => load()))) as unknown as T;
  const results: unknown[] = [];
  for (const load of loads) results.push(await load());
  return results as unknown as T;
}

/**
 * Loads one member's facts; null when the server is unknown or the user is not a member. In
 * `transaction`: as a command sees them before its commit.
 */
export async function loadMemberFacts(
  models: Models,
  serverId: string,
  userId: string,
  transaction?: Transaction,
): Promise<{ facts: MemberFacts; server: Row<'Server'>; positions: Map<string, number> } | null> {
  const [server, member] = await loadAll(transaction, [
    () => models.Server.findByPk(serverId, { transaction }),
    () => models.Member.findOne({ where: { server_id: serverId, user_id: userId }, transaction }),
  ]);
  if (!server || !member) return null;
  const [roles, memberRoles] = await loadAll(transaction, [
    () => models.Role.findAll({ where: { server_id: serverId }, transaction }),
    () => models.MemberRole.findAll({ where: { server_id: serverId, user_id: userId }, transaction }),
  ]);
  const byId = new Map(roles.map((r) => [r.id, r]));
  const mine = new Set(memberRoles.map((r) => r.role_id));
  return {
    server,
    positions: new Map(roles.map((r) => [r.id, r.position])),
    facts: {
      userId,
      serverId,
      ownerId: server.owner_id,
      everyone: BigInt(byId.get(serverId)?.permissions ?? '0'),
      roles: [...mine].flatMap((id) => {
        const role = byId.get(id);
        return role && id !== serverId ? [{ id, permissions: BigInt(role.permissions) }] : [];
      }),
      timeoutUntil: member.timeout_until,
    },
  };
}

/** Overwrites as the computation takes them. */
export function toOverwrites(rows: readonly Attributes<'PermissionOverwrite'>[]): Overwrite[] {
  return rows.map((o) => ({ id: o.target_id, type: o.type, allow: BigInt(o.allow), deny: BigInt(o.deny) }));
}

/**
 * One caller's standing in one server: the single place routes and the gateway ask "may they?".
 * Not being a member and not seeing an object both read as 404, never 403.
 */
export class ServerPolicy {
  private constructor(
    private readonly models: Models,
    readonly server: Row<'Server'>,
    readonly facts: MemberFacts,
    readonly positions: Map<string, number>,
    /** Redis for the overwrites cache (shared/permissions/facts-cache.ts); null reads the database. */
    private readonly cache: Pick<Runtime, 'redis' | 'config'> | null = null,
    /** One channel's overwrites, read with the facts (loadInChannel). */
    private readonly prefetched: { channelId: string; overwrites: Overwrite[] } | null = null,
  ) {}

  /**
   * load, for a request about one channel of the server: with Redis, the member's facts and the
   * overwrites that decide in `channel` are read in one round trip, and channelPermissions(channel)
   * then needs none.
   */
  static async loadInChannel(
    rt: Pick<Runtime, 'models' | 'redis' | 'config'>,
    serverId: string,
    userId: string,
    channel: Pick<Row<'Channel'>, 'id' | 'channel_type' | 'parent_id'>,
  ): Promise<ServerPolicy> {
    const source = permissionSourceId(channel);
    if (source === null) return ServerPolicy.load(rt, serverId, userId);
    const { loaded, overwrites } = await cachedFactsAndOverwrites(rt, serverId, userId, source, () =>
      loadMemberFacts(rt.models, serverId, userId),
    );
    return ServerPolicy.inChannel(rt, { loaded, sourceId: source, overwrites });
  }

  /**
   * What loadInChannel answers, from facts and overwrites already read (cachedChannelAccess):
   * 404 `unknown_server` when `loaded` is null (not a member).
   */
  static inChannel(
    rt: Pick<Runtime, 'models' | 'redis' | 'config'>,
    read: { loaded: LoadedFacts | null; sourceId: string; overwrites: Overwrite[] },
  ): ServerPolicy {
    const { loaded } = read;
    if (!loaded) throw new NotFoundError('server');
    const cache = { redis: rt.redis, config: rt.config };
    return new ServerPolicy(rt.models, loaded.server, loaded.facts, loaded.positions, cache, {
      channelId: read.sourceId,
      overwrites: read.overwrites,
    });
  }

  /**
   * The caller's policy in a server they belong to; 404 `unknown_server` otherwise. Read through the
   * member-facts cache (shared/permissions/facts-cache.ts) when `rt` has Redis.
   */
  static async load(
    rt: Pick<Runtime, 'models'> & Partial<Pick<Runtime, 'redis' | 'config'>>,
    serverId: string,
    userId: string,
  ): Promise<ServerPolicy> {
    const load = () => loadMemberFacts(rt.models, serverId, userId);
    // The request path reads through the cache; callers without Redis go to the database.
    const loaded =
      rt.redis && rt.config
        ? await cachedMemberFacts(
            { models: rt.models, redis: rt.redis, config: rt.config },
            serverId,
            userId,
            load,
          )
        : await load();
    if (!loaded) throw new NotFoundError('server');
    const cache = rt.redis && rt.config ? { redis: rt.redis, config: rt.config } : null;
    return new ServerPolicy(rt.models, loaded.server, loaded.facts, loaded.positions, cache);
  }

  get isOwner(): boolean {
    return this.facts.userId === this.server.owner_id;
  }

  /** Server-wide permissions (timeout applied). */
  get permissions(): bigint {
    return serverPermissions(this.facts);
  }

  /** Throws 403 naming the first missing permission. */
  require(needed: bigint): void {
    const perms = this.permissions;
    if (!has(perms, needed)) throw new MissingPermissionError(permissionNames(needed & ~perms).join(', '));
  }

  /** The caller's permissions in a channel of this server; in a thread, those of its parent. */
  async channelPermissions(channel: Row<'Channel'>): Promise<bigint> {
    const source = permissionSourceId(channel);
    if (source === null) return 0n;
    const overwrites =
      this.prefetched?.channelId === source
        ? this.prefetched.overwrites
        : this.cache
          ? await cachedOverwrites({ models: this.models, ...this.cache }, source)
          : toOverwrites(await this.models.PermissionOverwrite.findAll({ where: { channel_id: source } }));
    const perms = channelPermissions(this.facts, overwrites);
    if (channel.channel_type !== 'private_thread' || has(perms, Permission.MANAGE_THREADS)) return perms;
    const member = await this.models.ThreadMember.count({
      where: { thread_id: channel.id, user_id: this.facts.userId },
    });
    return privateThreadGate(channel, perms, member > 0);
  }

  /** Throws 404 when the caller cannot see the channel, 403 naming what else is missing. */
  async requireChannel(channel: Row<'Channel'>, needed = 0n): Promise<bigint> {
    const perms = await this.channelPermissions(channel);
    if (!has(perms, Permission.VIEW_CHANNEL)) throw new NotFoundError('channel');
    if (!has(perms, needed)) throw new MissingPermissionError(permissionNames(needed & ~perms).join(', '));
    return perms;
  }

  /** The caller's highest role position (the owner is above everything). */
  get rank(): number {
    return highestPosition(this.facts, this.positions);
  }

  /** Whether the caller may edit, assign or remove a role at `position`: strictly below their highest. */
  outranksRole(position: number): boolean {
    return this.rank > position;
  }

  /** Whether the caller may act on (kick, ban, time out, edit) `target`: strictly above them. */
  outranksMember(target: MemberFacts): boolean {
    if (target.userId === this.server.owner_id) return false;
    return this.rank > highestPosition(target, this.positions);
  }
}

/**
 * The channel whose overwrites decide permissions in `channel`: a thread inherits its parent's
 * (API.md), anything else decides for itself. Null for a thread that lost its parent: nobody sees it.
 */
export function permissionSourceId(
  channel: Pick<Row<'Channel'>, 'id' | 'channel_type' | 'parent_id'>,
): string | null {
  return isThreadType(channel.channel_type) ? channel.parent_id : channel.id;
}

/**
 * A private thread shows only to its members and to those who may manage threads in its parent;
 * any other channel passes its (parent's) permissions through.
 */
export function privateThreadGate(
  channel: Pick<Row<'Channel'>, 'channel_type'>,
  permissions: bigint,
  isThreadMember: boolean,
): bigint {
  if (channel.channel_type !== 'private_thread') return permissions;
  return isThreadMember || has(permissions, Permission.MANAGE_THREADS) ? permissions : 0n;
}

/**
 * The channels of one server that `facts` may view, in position order. Threads are left out unless
 * `threads` is set (channel lists show channels; READY and rooms also need the threads). With
 * `needed`, only those where the member also has those permissions (search: READ_MESSAGE_HISTORY).
 * With `transaction`, as a command sees them before its commit.
 */
export async function viewableServerChannels(
  models: Models,
  facts: MemberFacts,
  options: { threads?: boolean; needed?: bigint; transaction?: Transaction } = {},
): Promise<Row<'Channel'>[]> {
  const needed = Permission.VIEW_CHANNEL | (options.needed ?? 0n);
  const { transaction } = options;
  const channels = await models.Channel.findAll({
    transaction,
    where: {
      server_id: facts.serverId,
      ...(options.threads ? {} : { channel_type: { [Op.notIn]: THREAD_CHANNEL_TYPES } }),
    },
    order: [
      ['position', 'ASC'],
      ['id', 'ASC'],
    ],
  });
  const sources = new Set(channels.flatMap((c) => permissionSourceId(c) ?? []));
  const overwrites = await models.PermissionOverwrite.findAll({
    where: { channel_id: [...sources] },
    transaction,
  });
  const bySource = new Map(
    [...sources].map((id) => [
      id,
      channelPermissions(facts, toOverwrites(overwrites.filter((o) => o.channel_id === id))),
    ]),
  );
  const privateThreads = channels.filter((c) => c.channel_type === 'private_thread').map((c) => c.id);
  const joined = new Set(
    privateThreads.length === 0
      ? []
      : (
          await models.ThreadMember.findAll({
            where: { user_id: facts.userId, thread_id: privateThreads },
            attributes: ['thread_id'],
            transaction,
          })
        ).map((m) => m.thread_id),
  );
  return channels.filter((channel) => {
    const inherited = bySource.get(permissionSourceId(channel) ?? '') ?? 0n;
    return has(privateThreadGate(channel, inherited, joined.has(channel.id)), needed);
  });
}
