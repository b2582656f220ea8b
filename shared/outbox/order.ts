import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import pg from 'pg';
import { databaseUrl } from '../db/connection.js';
import type { Effect } from './effects.js';
import { relayEffects, type RelayRuntime } from './relay.js';

/**
 * Per-key order across processes (README, Outbox). A hold on order keys (`channel:<id>`, ...) is
 * taken before a command mints its ids or writes its outbox row and released once that row is
 * relayed and deleted, so for one key: id order == commit order == relay order. In the process a
 * FIFO per key; across processes a session advisory lock per key, taken with try-locks (never a
 * blocking wait) on one connection of its own, so no wait in Postgres can hold up a release. The
 * lock is freed by Postgres when its process dies: the next hold of the key finds the rows that
 * process committed and did not relay, and relays them first. A key released while another hold of
 * the same process waits for it stays locked and passes to it (no round trip, nothing to look for:
 * no other process could write under it meanwhile); a released key lingers locked for LINGER_MS
 * (the next batch of a busy channel takes it with no round trip) and is unlocked on a tick, off
 * the writers' path, together with the DELETE of the relayed rows, which always precedes it.
 */
export interface OrderHold {
  readonly keys: ReadonlySet<string>;
  /** Rows of these keys a crashed process left, relayed when the hold was taken. */
  readonly leftovers: number;
  /** Marks an outbox row relayed: deleted before its key is unlocked. */
  relayed(rowId: string): void;
  /** Says a relay under the hold failed: its row stays, and the keys are unlocked on release. */
  failed(): void;
  /**
   * Lets the next hold of these keys in this process start now, before this one's rows are relayed
   * (a batch's relay overlapping the next write); the keys stay locked against other processes
   * until released, and every later hold's relays wait for this one's (`turn`).
   */
  handOff(): void;
  /** Resolves once the holds of these keys taken before this one are released (relay after it). */
  turn(): Promise<void>;
  /**
   * A fact about one of the hold's keys that only holders of the key change (HoldOptions.facts):
   * read with the lock when the key was not held; kept while this process holds the key; null:
   * the read found none. Only for a hold taken with `facts`.
   */
  fact(key: string): string | null;
  /** Sets a key's fact (a holder changed it). */
  setFact(key: string, value: string | null): void;
  /** Runs `fn` with this hold as the current one (commands inside it take no hold of their own). */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Frees the hold's keys; its relayed rows are deleted within LINGER_MS, before the keys are
   * unlocked (`promptly`: before this resolves, for the relay loop). Once.
   */
  release(promptly?: boolean): Promise<void>;
}

export interface HoldOptions {
  /** false: null at once when another process holds one of the keys (the relay loop). */
  wait?: boolean;
  /** Relay only leftovers at least this old (the relay loop's grace); default: all. */
  minAgeMs?: number;
  /**
   * A query (simple protocol, literals only) reading a fact about each of `keys` that only the
   * holders of a key change, as rows of `key` and `value` (e.g. a channel's newest message id): run
   * in the lock's round trip for the keys this process did not hold, on its own for a held key whose
   * fact is not known; no round trip for a key whose fact is known. A fact is kept while this
   * process holds its key, as long as every hold of the key takes `facts` (one that does not may
   * change it: the fact is forgotten). The hold's `fact()` and `setFact()`.
   */
  facts?: (keys: string[]) => string;
}

const current = new AsyncLocalStorage<OrderHold>();

/** The hold of this async context, if it covers `key`. */
export function heldFor(key: string): OrderHold | undefined {
  const hold = current.getStore();
  return hold?.keys.has(key) ? hold : undefined;
}

/** Runs `fn` under a hold on `key`: the current one when it covers the key, else one of its own. */
export async function inOrder<T>(rt: RelayRuntime, key: string, fn: () => Promise<T>): Promise<T> {
  if (heldFor(key)) return fn();
  const hold = (await holdOrder(rt, [key]))!;
  try {
    return await hold.run(fn);
  } finally {
    await hold.release();
  }
}

/** Takes a hold on `keys` (waits for it unless `wait: false`); null when not waiting and taken. */
export function holdOrder(
  rt: RelayRuntime,
  keys: Iterable<string>,
  options: HoldOptions = {},
): Promise<OrderHold | null> {
  let locks = registry.get(rt);
  if (!locks) registry.set(rt, (locks = new OrderLocks(rt)));
  return locks.hold([...new Set(keys)].sort(), options);
}

/** The advisory lock id of `key` in `scope`: 64 bits of its hash (a collision only serializes more). */
const lockId = (scope: string, key: string): string =>
  crypto.createHash('sha1').update(`${scope}\0${key}`).digest().readBigInt64BE(0).toString();

/** How long a released key stays locked for this process's next hold of it (README, Outbox: measured 20 vs 100 vs 200 ms). */
const LINGER_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Waiter {
  keys: string[];
  grant(): void;
}

/** A granted hold's place in its keys' order. */
interface Slot {
  keys: string[];
  /** The release of the holds of these keys granted before this one. */
  prior: Promise<void>;
  /** Ends this slot: later slots' `prior`. */
  done(): void;
  handedOff: boolean;
}

/** A pending row of a held key. */
interface Leftover {
  id: string;
  effects: Effect[];
}

class OrderLocks {
  /** Keys held in this process. */
  private readonly owned = new Set<string>();
  private queue: Waiter[] = [];
  /** Keys whose advisory lock this process's connection holds (also between two holds: hand-over). */
  private readonly dbHeld = new Set<string>();
  /** Per key held here, its fact (HoldOptions.facts); dropped with the key's lock. */
  private readonly facts = new Map<string, string | null>();
  /** Rows relayed under keys still locked here: deleted with the next unlock or tick. */
  private toDelete: string[] = [];
  /** Per key, how many holds of this process have it and are not released (handed off or not). */
  private readonly busy = new Map<string, number>();
  /** Per key, the release of its last granted hold. */
  private readonly tails = new Map<string, Promise<void>>();
  private flushTimer: NodeJS.Timeout | null = null;
  private client: Promise<pg.Client> | null = null;
  /** The connection runs one query at a time (pg would queue them too, with a warning). */
  private queries: Promise<unknown> = Promise.resolve();
  private active = 0;
  private closed = false;
  /** The connection's ending once closed (endIfIdle). */
  private ending: Promise<void> | null = null;

  constructor(private readonly rt: RelayRuntime) {
    rt.lifecycle.add('outbox order', () => {
      this.closed = true;
      return this.endIfIdle();
    });
  }

  async hold(keys: string[], options: HoldOptions): Promise<OrderHold | null> {
    this.active += 1;
    await this.inProcess(keys);
    const slot = this.slot(keys);
    // Keys an earlier hold of this process handed over are still locked here, with nothing
    // pending but what that hold relayed: only the others are locked and looked at.
    const fresh = keys.filter((k) => !this.dbHeld.has(k));
    // The relay loop looks at every key it takes (a crashed command without an order key may
    // have left a row under a key this process keeps busy).
    const look = options.minAgeMs !== undefined ? keys : fresh;
    // A hold that does not keep the facts up to date may change them.
    if (!options.facts) for (const k of keys) this.facts.delete(k);
    let leftovers: Leftover[] | null;
    try {
      leftovers = look.length > 0 ? await this.lock(fresh, look, options) : [];
      const unknown = options.facts ? keys.filter((k) => !fresh.includes(k) && !this.facts.has(k)) : [];
      if (leftovers && options.facts && unknown.length > 0)
        this.learn(unknown, (await this.query(options.facts(unknown)))[0]!.rows);
    } catch (err) {
      await this.release(slot, false);
      throw err;
    }
    if (!leftovers) {
      // Not taken: what was handed over to this hold passes on, or is unlocked.
      await this.release(slot, false);
      return null;
    }
    for (const k of fresh) this.dbHeld.add(k);
    const hold = this.newHold(slot, leftovers.length);
    // Releases the hold itself when it throws.
    await this.relayLeftovers(hold, leftovers);
    return hold;
  }

  /** A granted hold's slot: after the holds of its keys before it, before the next ones. */
  private slot(keys: string[]): Slot {
    const prior = Promise.all(keys.map((k) => this.tails.get(k) ?? Promise.resolve())).then(() => undefined);
    let done!: () => void;
    const ended = new Promise<void>((resolve) => (done = resolve));
    for (const k of keys) {
      this.tails.set(k, ended);
      this.busy.set(k, (this.busy.get(k) ?? 0) + 1);
    }
    void ended.then(() => {
      for (const k of keys) if (this.tails.get(k) === ended) this.tails.delete(k);
    });
    return { keys, prior, done, handedOff: false };
  }

  /** Waits until this process's earlier holds of any of `keys` are released (FIFO per key). */
  private inProcess(keys: string[]): Promise<void> {
    return new Promise<void>((grant) => {
      this.queue.push({ keys, grant });
      this.pump();
    });
  }

  private pump(): void {
    const blocked = new Set(this.owned);
    const rest: Waiter[] = [];
    for (const w of this.queue) {
      if (w.keys.some((k) => blocked.has(k))) rest.push(w);
      else {
        for (const k of w.keys) this.owned.add(k);
        w.grant();
      }
      // Later waiters queue behind this one on its keys, granted or not.
      for (const k of w.keys) blocked.add(k);
    }
    this.queue = rest;
  }

  private free(keys: string[]): void {
    for (const k of keys) this.owned.delete(k);
    this.pump();
  }

  private connection(): Promise<pg.Client> {
    this.client ??= (async () => {
      const { ssl } = this.rt.config.database;
      const client = new pg.Client({
        connectionString: databaseUrl(this.rt.config),
        // Who holds the advisory locks, in pg_stat_activity.
        application_name: `plexichat outbox order ${process.pid}`,
        ...(ssl ? { ssl: { rejectUnauthorized: true } } : {}),
      });
      client.on('error', (err: Error) => {
        // Its locks went with it; the next hold opens a new connection.
        this.rt.logger.warn({ err: err.message }, 'outbox order connection lost');
        this.dropConnection();
      });
      try {
        await client.connect();
      } catch (err) {
        this.client = null;
        throw err;
      }
      return client;
    })();
    return this.client;
  }

  /** Forgets the connection and the locks Postgres freed with it. */
  private dropConnection(): void {
    const client = this.client;
    this.client = null;
    this.dbHeld.clear();
    this.facts.clear();
    void client?.then((c) => c.end()).catch(() => undefined);
  }

  /** Runs `sql` (simple protocol: several statements) after the connection's earlier queries. */
  private query(sql: string): Promise<pg.QueryResult[]> {
    const run = this.queries.then(async () => {
      const result = (await (await this.connection()).query(sql)) as unknown as
        pg.QueryResult | pg.QueryResult[];
      return Array.isArray(result) ? result : [result];
    });
    this.queries = run.catch(() => undefined);
    return run;
  }

  /** Once closed and no hold is left: ends the connection (one ending at a time; callers share it). */
  private endIfIdle(): Promise<void> {
    if (!this.closed || this.active > 0 || !this.client) return this.ending ?? Promise.resolve();
    this.ending ??= this.end().finally(() => (this.ending = null));
    return this.ending;
  }

  /**
   * Deletes the relayed rows, lets every queued query finish, then ends the connection (its locks
   * go with it). A second caller used to find nothing to delete and end the connection under the
   * first one's DELETE ("Connection terminated"), and a lingering flush tick could open a new
   * connection after the close.
   */
  private async end(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.flush([]).catch(() => undefined);
    await this.queries;
    // A hold taken meanwhile keeps the connection; its release ends it.
    if (this.active > 0 || !this.client) return;
    const client = this.client;
    this.client = null;
    this.dbHeld.clear();
    this.facts.clear();
    await (await client).end().catch(() => undefined);
  }

  /**
   * Takes the advisory locks of `keys` (all or none, retried with backoff while another process
   * holds one) and reads the pending rows of `look` in the same round trip. Null: not taken, not
   * waiting.
   */
  private async lock(keys: string[], look: string[], options: HoldOptions): Promise<Leftover[] | null> {
    const scope = this.rt.config.redis.key_prefix;
    const ids = keys.map((k) => lockId(scope, k));
    const age = options.minAgeMs
      ? ` AND created_at < now() - interval '${Number(options.minAgeMs)} milliseconds'`
      : '';
    const lit = (value: string) => pg.escapeLiteral(value);
    // The facts of the keys taken, read after their locks, in the same round trip.
    const read = options.facts && keys.length > 0 ? options.facts(keys) : null;
    for (let attempt = 0; ; attempt++) {
      // One round trip: the keys are hashes (integers) and escaped literals.
      const results = await this.query(
        `SELECT ${['true AS "-"', ...ids.map((id, i) => `pg_try_advisory_lock(${id}) AS "${i}"`)].join(', ')};
         SELECT id::text AS id, effects FROM outbox
          WHERE scope = ${lit(scope)} AND order_key IN (${look.map(lit).join(', ')})${age}
          ORDER BY id${read ? `;\n${read}` : ''}`,
      );
      const locked = results[0]!.rows[0] as Record<string, boolean>;
      const got = ids.filter((_, i) => locked[String(i)] === true);
      if (got.length === ids.length) {
        if (read) this.learn(keys, results[2]!.rows);
        return results[1]!.rows as Leftover[];
      }
      if (got.length > 0)
        await this.query(`SELECT ${got.map((id) => `pg_advisory_unlock(${id})`).join(', ')}`);
      if (options.wait === false) return null;
      // Jittered: two processes wanting overlapping keys do not retry in step.
      await sleep(Math.min(20, 1 + attempt) * (0.5 + Math.random()));
    }
  }

  /** Records the facts read for `keys` (a key the read returned no row for: null). */
  private learn(keys: string[], rows: unknown[]): void {
    for (const k of keys) this.facts.set(k, null);
    for (const row of rows as { key: string; value: string | null }[])
      if (keys.includes(row.key)) this.facts.set(row.key, row.value);
  }

  /** Forgets that this process holds `keys` (unlocked, or about to be), and their facts. */
  private unheld(keys: Iterable<string>): void {
    for (const k of keys) {
      this.dbHeld.delete(k);
      this.facts.delete(k);
    }
  }

  /** Relays what a crashed process left under these keys, oldest first; a failure releases and throws. */
  private async relayLeftovers(hold: OrderHold, leftovers: Leftover[]): Promise<void> {
    try {
      for (const row of leftovers) {
        await relayEffects(this.rt, row.id, row.effects);
        hold.relayed(row.id);
      }
    } catch (err) {
      hold.failed();
      await hold.release();
      throw err;
    }
    if (leftovers.length > 0)
      this.rt.logger.info(
        { rows: leftovers.length, keys: [...hold.keys] },
        'outbox: relayed rows left behind',
      );
  }

  private newHold(slot: Slot, leftovers: number): OrderHold {
    let dirty = false;
    let released: Promise<void> | null = null;
    const hold: OrderHold = {
      keys: new Set(slot.keys),
      leftovers,
      relayed: (rowId) => {
        if (/^\d+$/.test(rowId)) this.toDelete.push(rowId);
      },
      failed: () => void (dirty = true),
      handOff: () => {
        if (slot.handedOff || released) return;
        slot.handedOff = true;
        this.free(slot.keys);
      },
      turn: () => slot.prior,
      fact: (key) => this.facts.get(key) ?? null,
      setFact: (key, value) => {
        if (slot.keys.includes(key) && this.dbHeld.has(key)) this.facts.set(key, value);
      },
      run: (fn) => current.run(hold, fn),
      release: (promptly = false) => (released ??= this.release(slot, dirty || promptly)),
    };
    return hold;
  }

  /**
   * Frees a hold's keys, once the holds before it are released. A key another hold of this
   * process has or waits for stays locked (handed over: no round trip); the others are unlocked,
   * after the relayed rows are deleted, in one round trip. After a failed relay the keys no other
   * hold has are unlocked, so whoever takes them next finds the row pending.
   */
  private async release(slot: Slot, dirty: boolean, prompt = dirty): Promise<void> {
    try {
      await slot.prior;
      // Only after a failed relay (or when asked) at once, the keys no later hold has; otherwise a
      // key lingers until the next tick, unlocked there if no hold of this process took it meanwhile.
      const unlock = dirty ? slot.keys.filter((k) => this.dbHeld.has(k) && (this.busy.get(k) ?? 0) <= 1) : [];
      this.unheld(unlock);
      if (unlock.length > 0 || prompt) await this.flush(unlock);
      this.scheduleFlush();
    } finally {
      for (const k of slot.keys) {
        const n = (this.busy.get(k) ?? 1) - 1;
        if (n > 0) this.busy.set(k, n);
        else this.busy.delete(k);
      }
      if (!slot.handedOff) this.free(slot.keys);
      slot.handedOff = true;
      slot.done();
      this.active -= 1;
      await this.endIfIdle();
    }
  }

  /** Within LINGER_MS: deletes the relayed rows and unlocks the keys no hold has or waits for. */
  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      // Closed with no hold left: the ending deletes and unlocks (no new connection after a close).
      if (this.closed && this.active === 0) return void this.endIfIdle();
      const wanted = new Set(this.queue.flatMap((w) => w.keys));
      const idle = [...this.dbHeld].filter((k) => !this.busy.has(k) && !wanted.has(k));
      this.unheld(idle);
      void this.flush(idle).then(() => {
        if (this.dbHeld.size > 0 || this.toDelete.length > 0) this.scheduleFlush();
      });
    }, LINGER_MS);
  }

  /** Deletes the relayed rows and unlocks `keys`, in one round trip. */
  private async flush(keys: string[]): Promise<void> {
    const ids = this.toDelete;
    this.toDelete = [];
    if (ids.length === 0 && keys.length === 0) return;
    const scope = this.rt.config.redis.key_prefix;
    try {
      await this.query(
        [
          ...(ids.length > 0 ? [`DELETE FROM outbox WHERE id IN (${ids.join(', ')})`] : []),
          ...(keys.length > 0
            ? [`SELECT ${keys.map((k) => `pg_advisory_unlock(${lockId(scope, k)})`).join(', ')}`]
            : []),
        ].join(';\n'),
      );
    } catch (err) {
      // Dropped, so no lock can outlive this: Postgres frees a session's locks with it; undeleted
      // rows are relayed again (repeats are dropped by event id).
      this.rt.logger.warn({ err: (err as Error).message }, 'could not release outbox order; reconnecting');
      this.dropConnection();
    }
  }
}

const registry = new WeakMap<RelayRuntime, OrderLocks>();
