import type { OrderHold } from '../../outbox/index.js';
import type { CreateMessageJob } from '../../queues/index.js';

/** How a CreateBatcher plans and stores message creates (create.ts). */
export interface BatcherOptions<P, R> {
  /** How long after the first create of a batch the batch is stored. */
  windowMs: number;
  /** A batch this big is stored at once. */
  max: number;
  /** The reads a create needs before it writes; run as soon as the job arrives. */
  prepare(job: CreateMessageJob): Promise<P>;
  /** The message id of a plan (snowflakes: their order is the channel's order). */
  idOf(plan: P): string;
  /**
   * Takes the order of a batch's channels (shared/outbox/order.ts) and gives its plans, in id
   * order, the ids they are stored under: the plans to store, in the same order, and the hold,
   * released once the batch is relayed.
   */
  order(plans: P[]): Promise<{ plans: P[]; hold: OrderHold }>;
  /** Whether a plan may be stored with others in one statement. */
  batchable(plan: P): boolean;
  storeOne(plan: P): Promise<R>;
  /**
   * Stores batchable plans in one statement: its results in the plans' order, and the relay of
   * their effects (called once, in batch order; never throws).
   */
  storeBatch(plans: P[]): Promise<{ rows: R[]; relay: () => Promise<void> }>;
  /** Told why a batch statement failed (its plans are then stored one by one). */
  onBatchFailed(err: Error, size: number): void;
}

interface Entry<P, R> {
  planned: Promise<P>;
  resolve(result: R): void;
  reject(err: unknown): void;
}

const byId = (a: string, b: string): number => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

/**
 * Collects the message creates a workers process takes within `windowMs` (up to `max`), and while
 * a batch is being written those taken meanwhile (group commit), and stores them together:
 * Postgres takes about ten times the rows per second in a 50-row insert than one at a time. Plans
 * are read as the jobs arrive, in parallel; the writes are one chain, batch after batch. A batch
 * first takes the order of its channels (`order`: no other process stores into them until it is
 * relayed, and each plan gets an id above its channel's newest), then is written in id order (runs
 * of batchable plans as one statement, any other plan on its own between them) and relayed in that
 * order (a batch's relay overlaps the next write when their channels differ), so each channel's
 * events leave in id order. A failed batch statement (a constraint one row broke) is retried one
 * by one: one bad create never fails the others.
 */
export class CreateBatcher<P, R> {
  private pending: Entry<P, R>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writes: Promise<void> = Promise.resolve();
  /** Relays of written batches, in write order: the next batch is written meanwhile. */
  private relays: Promise<void> = Promise.resolve();
  /** Batches handed to `writes` and not written yet. */
  private writing = 0;

  constructor(private readonly opts: BatcherOptions<P, R>) {}

  /** Stores one create with the others of its batch; resolves with its stored row. */
  add(job: CreateMessageJob): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const planned = this.opts.prepare(job);
      // Rejections are handled when the batch is written; this only keeps them from being "unhandled".
      planned.catch(() => undefined);
      this.pending.push({ planned, resolve, reject });
      if (this.pending.length >= this.opts.max) this.flush();
      // While a batch is being written the next one grows; it is written when that one is done.
      else if (this.writing === 0) this.timer ??= setTimeout(() => this.flush(), this.opts.windowMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const ready = Promise.allSettled(batch.map((e) => e.planned));
    this.writing += 1;
    this.writes = this.writes
      .then(async () => {
        try {
          await this.write(batch, await ready);
        } catch (err) {
          // write() settles every entry itself; should it throw, none is left waiting (a settled
          // one ignores this) and the chain goes on.
          for (const entry of batch) entry.reject(err);
        }
      })
      .then(() => {
        this.writing -= 1;
        if (this.writing === 0) this.flush();
      });
  }

  private async write(batch: Entry<P, R>[], plans: PromiseSettledResult<P>[]): Promise<void> {
    const ready: { entry: Entry<P, R>; plan: P }[] = [];
    batch.forEach((entry, i) => {
      const settled = plans[i]!;
      if (settled.status === 'rejected') entry.reject(settled.reason);
      else ready.push({ entry, plan: settled.value });
    });
    ready.sort((a, b) => byId(this.opts.idOf(a.plan), this.opts.idOf(b.plan)));
    if (ready.length === 0) return;
    let ordered: Awaited<ReturnType<BatcherOptions<P, R>['order']>>;
    try {
      ordered = await this.opts.order(ready.map((r) => r.plan));
    } catch (err) {
      for (const { entry } of ready) entry.reject(err);
      return;
    }
    ordered.plans.forEach((plan, i) => (ready[i]!.plan = plan));
    try {
      await ordered.hold.run(() => this.store(ready));
    } finally {
      // The next batch may write while this one's events go out; released once they are out
      // (relays never throw).
      ordered.hold.handOff();
      void this.relays.then(() => ordered.hold.release());
    }
  }

  /** Stores a batch's plans, in order, under its hold. */
  private async store(ready: { entry: Entry<P, R>; plan: P }[]): Promise<void> {
    let run: typeof ready = [];
    const storeRun = async () => {
      const items = run;
      run = [];
      if (items.length === 0) return;
      if (items.length > 1) {
        const stored = await this.opts.storeBatch(items.map((i) => i.plan)).catch((err: Error) => {
          this.opts.onBatchFailed(err, items.length);
          return null;
        });
        if (stored) {
          // Answered once its events are out (read-your-writes, as a create stored alone).
          this.relays = this.relays.then(stored.relay);
          void this.relays.then(() => items.forEach((item, i) => item.entry.resolve(stored.rows[i]!)));
          return;
        }
      }
      for (const item of items) await this.storeOne(item);
    };
    for (const item of ready) {
      if (this.opts.batchable(item.plan)) run.push(item);
      else {
        await storeRun();
        await this.storeOne(item);
      }
    }
    await storeRun();
  }

  /** A create stored (and relayed) on its own, after the relays of the batches written before it. */
  private async storeOne(item: { entry: Entry<P, R>; plan: P }): Promise<void> {
    await this.relays;
    await this.opts.storeOne(item.plan).then(
      (row) => item.entry.resolve(row),
      (err: unknown) => item.entry.reject(err),
    );
  }
}
