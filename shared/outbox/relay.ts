import { QueryTypes } from 'sequelize';
import { invalidate } from '../domain/invalidation.js';
import { fanoutJobFor } from '../integrations/outgoing-events.js';
import { permissionsChanged } from '../permission-changes.js';
import type { Runtime } from '../runtime.js';
import { enforceVoicePermissions } from '../voice-chat/enforce.js';
import { applyVoiceMove } from '../voice-chat/moves.js';
import type { Effect } from './effects.js';
import { holdOrder } from './order.js';
import { refreshCache } from './refresh.js';

/** What relaying needs of a runtime. */
export type RelayRuntime = Pick<
  Runtime,
  'config' | 'redis' | 'sequelize' | 'models' | 'queues' | 'snowflake' | 'logger' | 'events' | 'lifecycle'
>;

/** How old a row must be before the relay loop takes it: its own process relays it long before. */
export const RELAY_GRACE_MS = 5000;
/** How often each workers process looks for rows left behind. */
export const RELAY_INTERVAL_MS = 1000;
/** Order keys per relay pass. */
const RELAY_BATCH = 200;

/** The event id of a row's `index`-th effect: what consumers deduplicate by. */
export const eventId = (rowId: string, index: number): string => `${rowId}.${index}`;

/**
 * Relays one outbox row's effects in order. Gateway entries go out back to back on one Redis
 * connection (its order is the stream's), awaited before the next effect of another kind. Throws
 * on the first failure: the row stays and is relayed again, whole (consumers drop what they saw).
 */
export async function relayEffects(
  rt: RelayRuntime,
  rowId: string,
  effects: Effect[],
  /** The index in its row of `effects[0]` (a segment of a row relayed on its own). */
  first = 0,
): Promise<void> {
  let pending: Promise<void>[] = [];
  const drain = async () => {
    const sent = pending;
    pending = [];
    await Promise.all(sent);
  };
  for (const [index, effect] of effects.entries()) {
    const eid = eventId(rowId, first + index);
    switch (effect.k) {
      case 'dispatch':
        // The name and payload were typed together when the effect was collected.
        pending.push(rt.events.dispatch(effect.rooms, effect.t, effect.d as never, effect.except, eid));
        break;
      case 'join':
        pending.push(rt.events.joinRooms(effect.room, effect.targets, effect.announce, eid));
        break;
      case 'leave':
        pending.push(rt.events.leaveRooms(effect.room, effect.targets, effect.announce, eid));
        break;
      case 'disconnect':
        pending.push(rt.events.disconnect(effect.room, eid));
        break;
      case 'outgoing': {
        await drain();
        const job = await fanoutJobFor(rt, effect.event, effect.event_id, effect.timestamp);
        const jobId = effect.event.key ? `whf-${effect.event.key}` : `whf-${eid}`;
        if (job) await rt.queues.webhooks.add('fanout', job, { jobId });
        break;
      }
      case 'invalidate':
        await drain();
        await invalidate(rt, effect.moved);
        break;
      case 'job': {
        await drain();
        // The queue is named by the stored effect; its payload was typed when it was collected.
        const queue = rt.queues[effect.queue] as unknown as {
          add(name: string, data: unknown, opts: object): Promise<unknown>;
        };
        await queue.add(effect.name, effect.data, {
          ...effect.opts,
          jobId: effect.opts?.jobId ?? `ob-${eid}`,
        });
        break;
      }
      // Live state recomputed from the committed rows: a repeat finds it already in line.
      case 'permissions':
        await drain();
        await permissionsChanged(rt, effect.server, effect.users, { announce: effect.announce === true });
        break;
      case 'voice':
        await drain();
        if (effect.move) await applyVoiceMove(rt, effect.move);
        await enforceVoicePermissions(rt, effect.server, effect.users);
        break;
      case 'refresh':
        await drain();
        await refreshCache(rt, effect.cache, effect.ids);
        break;
    }
  }
  await drain();
}

/**
 * Deletes relayed rows in batches (one DELETE per tick rather than one per command). A row whose
 * delete is lost with its process is relayed once more by the loop: consumers drop the repeat.
 */
class Reaper {
  private ids: string[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly rt: RelayRuntime) {
    rt.lifecycle.add('outbox', () => this.flush());
  }

  add(id: string): void {
    this.ids.push(id);
    this.timer ??= setTimeout(() => void this.flush(), 100);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ids = this.ids;
    this.ids = [];
    if (ids.length === 0) return;
    await this.rt.sequelize
      .query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', { bind: [ids], type: QueryTypes.DELETE })
      .catch((err: Error) =>
        this.rt.logger.warn({ err: err.message }, 'could not delete relayed outbox rows'),
      );
  }
}

const reapers = new WeakMap<RelayRuntime, Reaper>();

/** Marks a row relayed: it is deleted within a tick. */
export function relayed(rt: RelayRuntime, rowId: string): void {
  let reaper = reapers.get(rt);
  if (!reaper) reapers.set(rt, (reaper = new Reaper(rt)));
  reaper.add(rowId);
}

/**
 * One pass of the relay loop: the order keys of this instance's rows older than RELAY_GRACE_MS,
 * oldest first; for each key no process holds, a hold on it (shared/outbox/order.ts), which relays
 * its rows past the grace in id order and deletes them. A key another process holds is skipped:
 * that process relays what it finds pending when it takes the key. Returns how many rows it relayed.
 */
export async function relayLeftovers(rt: RelayRuntime): Promise<number> {
  const keys = await rt.sequelize.query<{ order_key: string }>(
    `SELECT order_key FROM outbox
      WHERE scope = $1 AND created_at < now() - make_interval(secs => $2)
      GROUP BY order_key ORDER BY min(id) LIMIT $3`,
    { bind: [rt.config.redis.key_prefix, RELAY_GRACE_MS / 1000, RELAY_BATCH], type: QueryTypes.SELECT },
  );
  let done = 0;
  for (const { order_key: key } of keys) {
    try {
      const hold = await holdOrder(rt, [key], { wait: false, minAgeMs: RELAY_GRACE_MS });
      if (!hold) continue;
      done += hold.leftovers;
      await hold.release(true);
    } catch (err) {
      rt.logger.warn({ err: (err as Error).message, key }, 'outbox relay failed; will retry');
    }
  }
  return done;
}

/**
 * The relay loop of a workers process: every RELAY_INTERVAL_MS, relays what crashed processes
 * left (relayLeftovers). Safe with any number of workers processes. Returns its stop function.
 */
export function startOutboxRelay(rt: RelayRuntime): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      try {
        while (!stopped && (await relayLeftovers(rt)) >= RELAY_BATCH);
      } catch (err) {
        if (!stopped) rt.logger.warn({ err: (err as Error).message }, 'outbox relay pass failed');
      }
      if (!stopped) timer = setTimeout(tick, RELAY_INTERVAL_MS);
    })();
  };
  timer = setTimeout(tick, RELAY_INTERVAL_MS);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
