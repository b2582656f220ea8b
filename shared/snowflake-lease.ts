import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { IdsUnavailableError } from './errors.js';
import type { Logger } from './logger.js';
import { SnowflakeGenerator } from './snowflake.js';

/** What mints ids: a generator on a fixed (datacenter, worker) pair, or one under a lease. */
export interface IdMinter {
  /** The next id in its wire form. */
  next(): string;
  /** The next id as a bigint. */
  nextBigInt(): bigint;
}

/** The (datacenter, worker) pair ids are minted under. */
export interface SnowflakeSlot {
  datacenterId: number;
  workerId: number;
}

// Renew or release only a lease this process still holds (its token is the value).
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** Options of a lease; a null id is leased, a number is fixed (config wins). */
export interface SnowflakeLeaseOptions {
  datacenterId: number | null;
  workerId: number | null;
  ttlMs: number;
  logger: Logger;
  clock?: () => number;
}

/**
 * Snowflake ids under a (datacenter, worker) pair leased from Redis, so live processes never share
 * one: `SET <prefix>:snowflake:lease:<dc>:<worker> <token> NX PX ttl` on the first free pair (from a
 * random start), renewed every third of the TTL, deleted on a clean exit. Minting stops (503
 * `ids_unavailable`) once the lease may have expired unrenewed, a little before Redis would let
 * another process take the pair, or at once when a renewal finds it held by someone else; the next
 * tick then leases a free pair again.
 */
export class SnowflakeLease implements IdMinter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #opts: SnowflakeLeaseOptions;
  readonly #clock: () => number;
  readonly #token = crypto.randomBytes(12).toString('base64url');
  #slot: SnowflakeSlot | null = null;
  #generator: SnowflakeGenerator | null = null;
  /** The clock time until which the lease is surely still ours. */
  #validUntil = 0;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> = Promise.resolve();

  constructor(redis: Redis, prefix: string, opts: SnowflakeLeaseOptions) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#opts = opts;
    this.#clock = opts.clock ?? Date.now;
  }

  /** The pair held now, or null. */
  get slot(): SnowflakeSlot | null {
    return this.#slot;
  }

  #key(slot: SnowflakeSlot): string {
    return `${this.#prefix}:snowflake:lease:${slot.datacenterId}:${slot.workerId}`;
  }

  #candidates(): SnowflakeSlot[] {
    const range = (fixed: number | null) => (fixed === null ? [...Array(32).keys()] : [fixed]);
    const all = range(this.#opts.datacenterId).flatMap((datacenterId) =>
      range(this.#opts.workerId).map((workerId) => ({ datacenterId, workerId })),
    );
    // A random start spreads processes that boot together over the pairs.
    const start = crypto.randomInt(all.length);
    return [...all.slice(start), ...all.slice(0, start)];
  }

  /** The margin kept before the TTL: clocks and the round trip's own time. */
  #until(sentAt: number): number {
    return sentAt + this.#opts.ttlMs - Math.max(200, Math.floor(this.#opts.ttlMs / 10));
  }

  /** Takes the first free pair; false when every candidate is held by another process. */
  async acquire(): Promise<boolean> {
    for (const slot of this.#candidates()) {
      const sentAt = this.#clock();
      const ok = await this.#redis.set(this.#key(slot), this.#token, 'PX', this.#opts.ttlMs, 'NX');
      if (ok !== 'OK') continue;
      const same = this.#slot?.datacenterId === slot.datacenterId && this.#slot.workerId === slot.workerId;
      if (!same || !this.#generator) this.#generator = new SnowflakeGenerator(slot);
      this.#slot = slot;
      this.#validUntil = this.#until(sentAt);
      this.#opts.logger.info(slot, 'snowflake worker id leased');
      return true;
    }
    return false;
  }

  /** Extends the lease; when it is gone (another process holds the pair), stops minting and leases anew. */
  async renew(): Promise<void> {
    const slot = this.#slot;
    if (!slot) {
      if (!(await this.acquire()))
        this.#opts.logger.error('no free snowflake worker id: this process mints no ids');
      return;
    }
    const sentAt = this.#clock();
    const held = await this.#redis.eval(RENEW, 1, this.#key(slot), this.#token, this.#opts.ttlMs);
    if (held === 1) {
      this.#validUntil = this.#until(sentAt);
      return;
    }
    this.#opts.logger.error(slot, 'snowflake worker id lease lost; leasing another');
    this.#slot = null;
    this.#generator = null;
    this.#validUntil = 0;
    await this.renew();
  }

  /** Leases a pair (a failure is logged: minting waits for a later tick) and keeps it renewed. */
  async start(): Promise<void> {
    await this.#tick();
    this.#timer = setInterval(() => void this.#tick(), this.#tickMs());
    this.#timer.unref();
  }

  /** How often the lease is renewed (or, lost, sought again). */
  #tickMs(): number {
    return Math.max(100, Math.floor(this.#opts.ttlMs / 3));
  }

  #tick(): Promise<void> {
    this.#ticking = this.renew().catch((err: Error) => {
      // Redis unreachable: the lease runs out on its own and minting stops with it.
      this.#opts.logger.warn({ err: err.message }, 'could not renew the snowflake worker id lease');
    });
    return this.#ticking;
  }

  /** Stops renewing and frees the pair for other processes (a clean exit). */
  async release(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#ticking;
    const slot = this.#slot;
    this.#slot = null;
    this.#generator = null;
    this.#validUntil = 0;
    if (slot) await this.#redis.eval(RELEASE, 1, this.#key(slot), this.#token);
  }

  #current(): SnowflakeGenerator {
    if (!this.#generator || this.#clock() >= this.#validUntil) {
      // A client retrying after the next tick finds a pair leased again if there is one to lease.
      throw new IdsUnavailableError(Math.ceil(this.#tickMs() / 1000));
    }
    return this.#generator;
  }

  next(): string {
    return this.#current().next();
  }

  nextBigInt(): bigint {
    return this.#current().nextBigInt();
  }
}
