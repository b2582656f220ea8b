import type { Logger } from '../shared/logger.js';
import type { MediasoupModule, ms } from './mediasoup.js';

/** How long to wait before trying again when a replacement worker cannot start. */
const RESPAWN_RETRY_MS = 1000;

/** Longest wait on close for the workers' processes to exit (they do within milliseconds). */
const WORKER_EXIT_WAIT_MS = 3000;

/**
 * mediasoup workers, one per configured core. A worker that dies is reported (its routers are
 * gone: the rooms on it must be rebuilt) and replaced in its slot.
 */
export class WorkerPool {
  private readonly slots: (ms.Worker | null)[];
  private cursor = 0;
  private closing = false;

  constructor(
    private readonly mediasoup: MediasoupModule,
    private readonly settings: ms.WorkerSettings,
    count: number,
    private readonly logger: Logger,
    private readonly onDied: (worker: ms.Worker) => void,
  ) {
    this.slots = new Array<ms.Worker | null>(count).fill(null);
  }

  /** Starts every worker (fails when the first cannot start: mediasoup is unusable here). */
  async start(): Promise<void> {
    for (let i = 0; i < this.slots.length; i++) this.slots[i] = await this.spawn(i);
  }

  private async spawn(slot: number): Promise<ms.Worker> {
    const worker = await this.mediasoup.createWorker(this.settings);
    worker.on('died', (err: Error) => this.died(slot, worker, err));
    this.logger.info({ slot, pid: worker.pid }, 'mediasoup worker started');
    return worker;
  }

  private died(slot: number, worker: ms.Worker, err: Error): void {
    this.logger.error({ slot, pid: worker.pid, err: err.message }, 'mediasoup worker died');
    if (this.slots[slot] === worker) this.slots[slot] = null;
    this.onDied(worker);
    if (!this.closing) this.respawn(slot);
  }

  private respawn(slot: number): void {
    this.spawn(slot).then(
      (worker) => {
        if (this.closing) worker.close();
        else this.slots[slot] = worker;
      },
      (err: Error) => {
        this.logger.error({ slot, err: err.message }, 'could not replace a mediasoup worker');
        setTimeout(() => !this.closing && this.respawn(slot), RESPAWN_RETRY_MS).unref();
      },
    );
  }

  /** The next live worker, round robin; throws when none is up (all being replaced). */
  next(): ms.Worker {
    for (let i = 0; i < this.slots.length; i++) {
      const worker = this.slots[(this.cursor + i) % this.slots.length];
      if (worker && !worker.closed) {
        this.cursor = (this.cursor + i + 1) % this.slots.length;
        return worker;
      }
    }
    throw new Error('no mediasoup worker is running');
  }

  /** The live workers' process ids (metrics, tests). */
  pids(): number[] {
    return this.slots.flatMap((w) => (w && !w.closed ? [w.pid] : []));
  }

  /**
   * Stops every worker and waits, at most WORKER_EXIT_WAIT_MS, until their processes are gone:
   * mediasoup's close() only signals them, and a closed service should leave no media process
   * behind, nor a child handle that keeps its own process from exiting.
   */
  async close(): Promise<void> {
    this.closing = true;
    const pids = this.pids();
    for (const worker of this.slots) worker?.close();
    const deadline = Date.now() + WORKER_EXIT_WAIT_MS;
    while (pids.some(isRunning) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Whether process `pid` still exists (signal 0 checks without sending anything). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
