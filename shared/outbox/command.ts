import type { QueryResultRow } from 'pg';
import { QueryTypes, type Transaction } from 'sequelize';
import { prepared, runPrepared, type PreparedStatement } from '../db/prepared.js';
import { Effects } from './effects.js';
import { crashPoint } from './fault.js';
import { heldFor, holdOrder, inOrder, type OrderHold } from './order.js';
import { relayEffects, relayed, type RelayRuntime } from './relay.js';

/**
 * Effects bound to a transaction: collect into it while the transaction runs, then `await save()`
 * as its last statement. The row is written in the transaction (one INSERT; none without effects)
 * and relayed by this process as soon as it commits; if the process dies first, the relay loop of
 * a workers process relays it (shared/outbox/relay.ts).
 */
export class CommandEffects extends Effects {
  private saved = false;

  constructor(
    private readonly rt: RelayRuntime,
    private readonly transaction: Transaction,
    orderKey: string | null = null,
  ) {
    super(rt.snowflake, orderKey);
  }

  /** Writes the collected effects as one outbox row and relays them after the commit. Once. */
  async save(): Promise<void> {
    if (this.saved) throw new Error('outbox effects saved twice');
    this.saved = true;
    if (this.list.length === 0) return;
    const effects = this.list;
    const [row] = await this.rt.sequelize.query<{ id: string }>(
      'INSERT INTO outbox (scope, order_key, effects) VALUES ($1, $2, $3::jsonb) RETURNING id',
      {
        bind: [this.rt.config.redis.key_prefix, this.key(), JSON.stringify(effects)],
        type: QueryTypes.SELECT,
        transaction: this.transaction,
      },
    );
    crashPoint(this.rt, 'outbox-before-commit');
    const id = String(row?.id);
    const hold = heldFor(this.key());
    this.transaction.afterCommit(() => relayNow(this.rt, id, hold, [effects]));
  }
}

/**
 * The fast path, right after the commit. Never throws: a failure leaves the row to the relay loop.
 * The row's effects are `segments` (one, or a batch's commands), relayed concurrently: each is
 * started in turn, so the effects each begins with before its first wait (its dispatches) go out
 * in segment order.
 */
async function relayNow(
  rt: RelayRuntime,
  id: string,
  /** The hold of the row's key, which deletes it when released; none: the reaper does. */
  hold: OrderHold | undefined,
  segments: CommandEffects['list'][],
): Promise<void> {
  crashPoint(rt, 'outbox-after-commit');
  try {
    // After the rows of the holds of this key before this one (a batch handed off before its relay).
    await hold?.turn();
    let first = 0;
    await Promise.all(
      segments.map((effects) => {
        const relay = relayEffects(rt, id, effects, first);
        first += effects.length;
        return relay;
      }),
    );
    if (hold) hold.relayed(id);
    else relayed(rt, id);
  } catch (err) {
    hold?.failed();
    rt.logger.warn(
      { err: (err as Error).message, outbox: id },
      'outbox relay failed; the relay loop retries',
    );
  }
}

/**
 * Runs one command: `fn` does its reads and writes in a new transaction and collects its effects
 * in `fx`; they are stored with the change (one outbox row) and relayed right after the commit,
 * before this resolves, so callers see today's latency. `orderKey` is what the effects are ordered
 * by (e.g. `channel:<id>`): the command runs under its hold (order.ts), so commands of one key
 * commit and relay in one order across processes. Null: the room of the first effect, unordered
 * against other commands.
 */
export function runCommand<T>(
  rt: RelayRuntime,
  orderKey: string | null,
  fn: (transaction: Transaction, fx: CommandEffects) => Promise<T>,
): Promise<T> {
  const run = () =>
    rt.sequelize.transaction(async (transaction) => {
      const fx = new CommandEffects(rt, transaction, orderKey);
      const result = await fn(transaction, fx);
      await fx.save();
      return result;
    });
  return orderKey ? inOrder(rt, orderKey, run) : run();
}

/**
 * A command that is one statement (atomic without BEGIN/COMMIT: two round trips fewer than
 * runCommand, for the hottest path): `change`, an INSERT/UPDATE ... RETURNING, is the change, and
 * the same statement stores `fx` as the outbox row when it returns a row. Relayed right after, as
 * runCommand's. `fx` is collected before the statement runs, so it can only say what the change
 * will be. Runs as a prepared statement named after `change` (so `change` always takes the same
 * number of bind values) on the ORM's pool, without the ORM. Returns the statement's rows, raw.
 */
export async function runStatement<R extends QueryResultRow>(
  rt: RelayRuntime,
  fx: Effects,
  change: PreparedStatement<R>,
  bind: unknown[],
): Promise<R[]> {
  if (fx.list.length > 0 && !heldFor(fx.key()))
    return inOrder(rt, fx.key(), () => runStatement(rt, fx, change, bind));
  const n = bind.length;
  const rows = await runPrepared<R & { outbox_id: string | null }>(
    rt.sequelize,
    prepared(
      `${change.name}+outbox`,
      `WITH change AS (${change.text}),
            box AS (INSERT INTO outbox (scope, order_key, effects)
                    SELECT $${n + 1}, $${n + 2}, $${n + 3}::jsonb
                     WHERE $${n + 4} AND EXISTS (SELECT 1 FROM change)
                    RETURNING id)
       SELECT change.*, (SELECT id FROM box) AS outbox_id FROM change`,
    ),
    [...bind, rt.config.redis.key_prefix, fx.key(), JSON.stringify(fx.list), fx.list.length > 0],
    'write',
  );
  const id = rows[0]?.outbox_id;
  if (id !== undefined && id !== null) await relayNow(rt, String(id), heldFor(fx.key()), [fx.list]);
  return rows.map(({ outbox_id: _id, ...row }) => row as unknown as R);
}

/** One part of a batch statement: the effects of the row whose `id` is `key`. */
export interface BatchPart {
  key: string;
  fx: Effects;
}

/**
 * runStatement for many changes at once (a multi-row INSERT ... RETURNING, one statement, atomic):
 * `parts` are the effects of each row the statement may return, by its `id`; the same statement
 * stores the effects of the rows it did return as one outbox row per order key, each in `parts`
 * order (a row that was not written, e.g. an insert that found its row, causes nothing). Runs
 * under the current hold when it covers the parts' keys, else under one of its own, released
 * after the relay. Returns the statement's rows, raw, and `relay`, which relays the stored effects
 * (never throws; a failure leaves the rows to the next hold of their keys or the relay loop): the
 * caller calls it once, when its order allows (batches relayed in their order while the next one
 * is being written). A prepared statement, as runStatement's.
 */
export async function runBatchStatement<R extends QueryResultRow & { id: string }>(
  rt: RelayRuntime,
  parts: BatchPart[],
  change: PreparedStatement<R>,
  bind: unknown[],
): Promise<{ rows: R[]; relay: () => Promise<void> }> {
  const keys = new Set(parts.filter((p) => p.fx.list.length > 0).map((p) => p.fx.key()));
  const held = [...keys].every((k) => heldFor(k)) ? undefined : await holdOrder(rt, keys);
  const run = () => batchStatement<R>(rt, parts, change, bind);
  if (!held) return run();
  try {
    const { rows, relay } = await held.run(run);
    return { rows, relay: () => held.run(relay).finally(() => held.release()) };
  } catch (err) {
    await held.release();
    throw err;
  }
}

async function batchStatement<R extends QueryResultRow & { id: string }>(
  rt: RelayRuntime,
  parts: BatchPart[],
  change: PreparedStatement<R>,
  bind: unknown[],
): Promise<{ rows: R[]; relay: () => Promise<void> }> {
  const n = bind.length;
  const stored = parts.map((p) => ({ key: p.key, okey: p.fx.key(), fx: p.fx.list }));
  const rows = await runPrepared<R & { outbox_ids: Record<string, string> | null }>(
    rt.sequelize,
    prepared(
      `${change.name}+outbox`,
      `WITH change AS (${change.text}),
          parts AS (SELECT p.ord, p.part FROM jsonb_array_elements($${n + 1}::jsonb) WITH ORDINALITY AS p(part, ord)
                     WHERE p.part->>'key' IN (SELECT id::text FROM change)),
          box AS (INSERT INTO outbox (scope, order_key, effects)
                  SELECT $${n + 2}, parts.part->>'okey', jsonb_agg(f.e ORDER BY parts.ord, f.i)
                    FROM parts, jsonb_array_elements(parts.part->'fx') WITH ORDINALITY AS f(e, i)
                   GROUP BY parts.part->>'okey'
                  RETURNING id, order_key)
     SELECT change.*, (SELECT jsonb_object_agg(order_key, id::text) FROM box) AS outbox_ids FROM change`,
    ),
    [...bind, JSON.stringify(stored), rt.config.redis.key_prefix],
    'write',
  );
  const boxes = rows[0]?.outbox_ids ?? {};
  // Each row's list, rebuilt the way the statement built it: event ids follow its indexes.
  const written = new Set(rows.map((r) => String(r.id)));
  const relay = async () => {
    await Promise.all(
      Object.entries(boxes).map(([key, id]) =>
        relayNow(
          rt,
          id,
          heldFor(key),
          parts.filter((p) => written.has(p.key) && p.fx.key() === key).map((p) => p.fx.list),
        ),
      ),
    );
  };
  return { rows: rows.map(({ outbox_ids: _ids, ...row }) => row as unknown as R), relay };
}
