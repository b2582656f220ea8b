import { QueryTypes, type Transaction } from 'sequelize';
import { Effects } from './effects.js';
import { crashPoint } from './fault.js';
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
    const id = String(row?.id);
    this.transaction.afterCommit(() => relayNow(this.rt, id, [effects]));
  }
}

/**
 * The fast path, right after the commit. Never throws: a failure leaves the row to the relay loop.
 * The row's effects are `segments` (one, or a batch's commands), relayed concurrently: each is
 * started in turn, so the effects each begins with before its first wait (its dispatches) go out
 * in segment order.
 */
async function relayNow(rt: RelayRuntime, id: string, segments: CommandEffects['list'][]): Promise<void> {
  crashPoint(rt, 'outbox-after-commit');
  try {
    let first = 0;
    await Promise.all(
      segments.map((effects) => {
        const relay = relayEffects(rt, id, effects, first);
        first += effects.length;
        return relay;
      }),
    );
    relayed(rt, id);
  } catch (err) {
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
 * by (e.g. `channel:<id>`); null: the room of the first effect.
 */
export function runCommand<T>(
  rt: RelayRuntime,
  orderKey: string | null,
  fn: (transaction: Transaction, fx: CommandEffects) => Promise<T>,
): Promise<T> {
  return rt.sequelize.transaction(async (transaction) => {
    const fx = new CommandEffects(rt, transaction, orderKey);
    const result = await fn(transaction, fx);
    await fx.save();
    return result;
  });
}

/**
 * A command that is one statement (atomic without BEGIN/COMMIT: two round trips fewer than
 * runCommand, for the hottest path): `sql`, an INSERT/UPDATE ... RETURNING, is the change, and the
 * same statement stores `fx` as the outbox row when it returns a row. Relayed right after, as
 * runCommand's. `fx` is collected before the statement runs, so it can only say what the change
 * will be. Returns the statement's rows, raw.
 */
export async function runStatement<R extends object>(
  rt: RelayRuntime,
  fx: Effects,
  sql: string,
  bind: unknown[],
): Promise<R[]> {
  const n = bind.length;
  const rows = await rt.sequelize.query<R & { outbox_id: string | null }>(
    `WITH change AS (${sql}),
          box AS (INSERT INTO outbox (scope, order_key, effects)
                  SELECT $${n + 1}, $${n + 2}, $${n + 3}::jsonb
                   WHERE $${n + 4} AND EXISTS (SELECT 1 FROM change)
                  RETURNING id)
     SELECT change.*, (SELECT id FROM box) AS outbox_id FROM change`,
    {
      bind: [...bind, rt.config.redis.key_prefix, fx.key(), JSON.stringify(fx.list), fx.list.length > 0],
      type: QueryTypes.SELECT,
    },
  );
  const id = rows[0]?.outbox_id;
  if (id !== undefined && id !== null) await relayNow(rt, String(id), [fx.list]);
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
 * stores the effects of the rows it did return, in `parts` order, as one outbox row (a row that
 * was not written, e.g. an insert that found its row, causes nothing). Returns the statement's
 * rows, raw, and `relay`, which relays the stored effects (never throws; a failure leaves the row to
 * the relay loop): the caller calls it once, when its order allows (batches relayed in their order
 * while the next one is being written).
 */
export async function runBatchStatement<R extends { id: string }>(
  rt: RelayRuntime,
  parts: BatchPart[],
  sql: string,
  bind: unknown[],
): Promise<{ rows: R[]; relay: () => Promise<void> }> {
  const n = bind.length;
  const stored = parts.map((p) => ({ key: p.key, fx: p.fx.list }));
  const rows = await rt.sequelize.query<R & { outbox_id: string | null }>(
    `WITH change AS (${sql}),
          parts AS (SELECT p.ord, p.part FROM jsonb_array_elements($${n + 1}::jsonb) WITH ORDINALITY AS p(part, ord)
                     WHERE p.part->>'key' IN (SELECT id::text FROM change)),
          box AS (INSERT INTO outbox (scope, order_key, effects)
                  SELECT $${n + 2}, $${n + 3}, jsonb_agg(f.e ORDER BY parts.ord, f.i)
                    FROM parts, jsonb_array_elements(parts.part->'fx') WITH ORDINALITY AS f(e, i)
                  HAVING count(*) > 0
                  RETURNING id)
     SELECT change.*, (SELECT id FROM box) AS outbox_id FROM change`,
    {
      bind: [...bind, JSON.stringify(stored), rt.config.redis.key_prefix, parts[0]?.fx.key() ?? '-'],
      type: QueryTypes.SELECT,
    },
  );
  const id = rows[0]?.outbox_id;
  // The stored list, rebuilt the way the statement built it: event ids follow its indexes.
  const written = new Set(rows.map((r) => String(r.id)));
  const relay = async () => {
    if (id === undefined || id === null) return;
    await relayNow(
      rt,
      String(id),
      parts.filter((p) => written.has(p.key)).map((p) => p.fx.list),
    );
  };
  return { rows: rows.map(({ outbox_id: _id, ...row }) => row as unknown as R), relay };
}
