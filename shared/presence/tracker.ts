import { prepared, runPrepared } from '../db/prepared.js';
import { rooms, type PresenceObject } from '../events/index.js';
import type { Runtime } from '../runtime.js';

/** A status a user can choose (offline is what everyone else sees without a connection). */
export type ChosenStatus = 'online' | 'idle' | 'dnd' | 'invisible';
export type Activity = { type: string; name: string } | null;

// Each script keeps a user's connection set and the global expiry index in step, atomically.
const OPEN = `
redis.call('zadd', KEYS[1], ARGV[2], ARGV[1])
redis.call('zadd', KEYS[2], ARGV[2], ARGV[3])
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[4])
return redis.call('zcard', KEYS[1])`;
const CLOSE = `
redis.call('zrem', KEYS[1], ARGV[1])
redis.call('zrem', KEYS[2], ARGV[2])
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[3])
return redis.call('zcard', KEYS[1])`;
// Only the process whose ZREM succeeds handles an expired connection: one offline event, not N.
const SWEEP = `
if redis.call('zrem', KEYS[1], ARGV[1]) == 0 then return -1 end
redis.call('zrem', KEYS[2], ARGV[2])
redis.call('zremrangebyscore', KEYS[2], '-inf', ARGV[3])
return redis.call('zcard', KEYS[2])`;

/** Whose presences READY carries: people who share a server with the user, and their friends. */
const READY_AUDIENCE = prepared<{ user_id: string }>(
  'presence_ready_audience',
  `SELECT DISTINCT other.user_id FROM members mine
     JOIN members other ON other.server_id = mine.server_id AND other.user_id <> mine.user_id
    WHERE mine.user_id = $1
   UNION
   SELECT target_id AS user_id FROM relationships WHERE user_id = $1 AND status = 'friend'
   LIMIT 5000`,
);

// What others see now, swapped in atomically for what they last saw: returns {status, activity}
// only when it changed, so concurrent updates never announce a stale view as the latest.
const PUBLIC_VIEW = `
local live = redis.call('zcount', KEYS[1], ARGV[1], '+inf')
local status = redis.call('hget', KEYS[2], 'status')
if not status then status = 'online' end
local activity = redis.call('hget', KEYS[2], 'activity')
if not activity then activity = '' end
if live == 0 or status == 'invisible' then
  status = 'offline'
  activity = ''
end
local signature = status .. '|' .. activity
local previous = redis.call('hget', KEYS[2], 'public')
redis.call('hset', KEYS[2], 'public', signature)
if previous == signature then return nil end
if not previous and status == 'offline' then return nil end
return {status, activity}`;

/**
 * Presence in Redis, shared by every gateway process. A user is online while any of their
 * connections is; each process refreshes its connections' expiry on a heartbeat, so the
 * connections of a process that died expire and its users go offline without it.
 */
export class PresenceTracker {
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(private readonly rt: Runtime) {
    this.prefix = `${rt.config.redis.key_prefix}:presence`;
    this.ttlMs = Math.round(rt.config.gateway.presence_heartbeat_seconds * 2500);
  }

  private conns(userId: string): string {
    return `${this.prefix}:conns:${userId}`;
  }

  private get expiry(): string {
    return `${this.prefix}:expiry`;
  }

  private status(userId: string): string {
    return `${this.prefix}:status:${userId}`;
  }

  /** A connection of `userId` opened: the first one brings the user online. */
  async opened(userId: string, connectionId: string): Promise<void> {
    const now = Date.now();
    await this.rt.redis.eval(
      OPEN,
      2,
      this.conns(userId),
      this.expiry,
      connectionId,
      now + this.ttlMs,
      `${userId}|${connectionId}`,
      now,
    );
    await this.publish(userId);
  }

  /** A connection closed: the last one takes the user offline. */
  async closed(userId: string, connectionId: string): Promise<void> {
    await this.rt.redis.eval(
      CLOSE,
      2,
      this.conns(userId),
      this.expiry,
      connectionId,
      `${userId}|${connectionId}`,
      Date.now(),
    );
    await this.publish(userId);
  }

  /**
   * Pushes the expiry of these connections (a process's own, on each heartbeat) on by a TTL: one
   * ZADD per user and one for the expiry index, however many connections.
   */
  async refresh(connections: { userId: string; connectionId: string }[]): Promise<void> {
    if (connections.length === 0) return;
    const score = Date.now() + this.ttlMs;
    const byUser = new Map<string, (string | number)[]>();
    const index: (string | number)[] = [];
    for (const c of connections) {
      let args = byUser.get(c.userId);
      if (!args) byUser.set(c.userId, (args = []));
      args.push(score, c.connectionId);
      index.push(score, `${c.userId}|${c.connectionId}`);
    }
    const pipeline = this.rt.redis.pipeline();
    for (const [userId, args] of byUser) pipeline.zadd(this.conns(userId), ...args);
    pipeline.zadd(this.expiry, ...index);
    await pipeline.exec();
  }

  /** Expires connections whose process stopped refreshing them (the last one takes its user offline). */
  async sweep(): Promise<void> {
    const now = Date.now();
    const expired = await this.rt.redis.zrangebyscore(this.expiry, '-inf', now, 'LIMIT', 0, 500);
    for (const member of expired) {
      const [userId, connectionId] = member.split('|') as [string, string];
      const left = await this.rt.redis.eval(
        SWEEP,
        2,
        this.expiry,
        this.conns(userId),
        member,
        connectionId,
        now,
      );
      if (left === 0) await this.publish(userId);
    }
  }

  /** Stores the user's chosen status and activity and tells whoever may see it. */
  async set(userId: string, status: ChosenStatus, activity: Activity): Promise<PresenceObject> {
    await this.rt.redis.hset(this.status(userId), {
      status,
      activity: activity ? JSON.stringify(activity) : '',
    });
    const mine = await this.publish(userId);
    // The user's other sessions learn the chosen status (connecting or leaving does not echo).
    await this.rt.events.dispatch([rooms.user(userId)], 'PRESENCE_UPDATE', mine);
    return mine;
  }

  /** Presences as `viewerId` sees them (their own is the true status; others' invisible reads offline). */
  async get(userIds: string[], viewerId: string): Promise<PresenceObject[]> {
    if (userIds.length === 0) return [];
    const now = Date.now();
    const pipeline = this.rt.redis.pipeline();
    for (const id of userIds) {
      pipeline.zcount(this.conns(id), now, '+inf');
      pipeline.hmget(this.status(id), 'status', 'activity');
    }
    const results = (await pipeline.exec()) ?? [];
    return userIds.map((userId, i) => {
      const live = Number(results[2 * i]?.[1] ?? 0) > 0;
      const [status, activity] = (results[2 * i + 1]?.[1] ?? [null, null]) as (string | null)[];
      return view(userId, live, status ?? 'online', activity ?? '', userId === viewerId);
    });
  }

  /**
   * Which of `userIds` others see as online (online, idle or dnd; invisible and offline are not):
   * who an @here reaches.
   */
  async onlineAmong(userIds: string[]): Promise<Set<string>> {
    const online = new Set<string>();
    for (let i = 0; i < userIds.length; i += 1000) {
      const batch = userIds.slice(i, i + 1000);
      for (const p of await this.get(batch, '')) if (p.status !== 'offline') online.add(p.user_id);
    }
    return online;
  }

  /**
   * Whether the user has a live gateway connection, whatever status they chose (invisible users
   * are connected too): one ZCOUNT of their unexpired connections.
   */
  async isConnected(userId: string): Promise<boolean> {
    return (await this.rt.redis.zcount(this.conns(userId), Date.now(), '+inf')) > 0;
  }

  /** Presences READY carries: friends and people who share a server, those not offline. */
  async forReady(userId: string): Promise<PresenceObject[]> {
    // Prepared: it runs on every gateway connect (parsing and planning it each time showed).
    const rows = await runPrepared(this.rt.sequelize, READY_AUDIENCE, [userId]);
    const presences = await this.get([userId, ...rows.map((r) => r.user_id)], userId);
    return presences.filter((p) => p.status !== 'offline');
  }

  /**
   * When what others see of the user changed, sends PRESENCE_UPDATE to everyone who shares a
   * server with them or is their friend. Returns the user's own view.
   */
  private async publish(userId: string): Promise<PresenceObject> {
    const changed = (await this.rt.redis.eval(
      PUBLIC_VIEW,
      2,
      this.conns(userId),
      this.status(userId),
      Date.now(),
    )) as [string, string] | null;
    if (changed) {
      const [status, activity] = changed;
      const seen: PresenceObject = {
        user_id: userId,
        status: status as PresenceObject['status'],
        activity: activity ? (JSON.parse(activity) as Activity) : null,
      };
      const { Member, Relationship } = this.rt.models;
      const [memberships, friends] = await Promise.all([
        Member.findAll({ where: { user_id: userId }, attributes: ['server_id'] }),
        Relationship.findAll({ where: { user_id: userId, status: 'friend' }, attributes: ['target_id'] }),
      ]);
      const audience = [
        ...memberships.map((m) => rooms.server(m.server_id)),
        ...friends.map((f) => rooms.user(f.target_id)),
      ];
      if (audience.length > 0) {
        await this.rt.events.dispatch(audience, 'PRESENCE_UPDATE', seen, [rooms.user(userId)]);
      }
    }
    const [mine] = await this.get([userId], userId);
    return mine ?? view(userId, false, 'online', '', true);
  }
}

function view(
  userId: string,
  live: boolean,
  status: string,
  activity: string,
  self: boolean,
): PresenceObject {
  if (!live) return { user_id: userId, status: 'offline', activity: null };
  const shown = status === 'invisible' && !self ? 'offline' : (status as PresenceObject['status']);
  return {
    user_id: userId,
    status: shown,
    activity: shown === 'offline' || !activity ? null : (JSON.parse(activity) as Activity),
  };
}
