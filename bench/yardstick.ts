import cluster from 'node:cluster';

/** What a yardstick's primary tells the parent (bench/harness.ts startBareServer). */
export type YardstickListening = { type: 'listening'; port: number };

/**
 * The primary's part of a yardstick (this file, bench/stack-floor.ts): forks `processes` workers
 * that share one port and tells the parent that port once every worker listens.
 */
export function forkListeners(processes: number): void {
  let listening = 0;
  for (let i = 0; i < processes; i++) {
    const worker = cluster.fork();
    worker.on('listening', (address) => {
      listening += 1;
      if (listening === processes)
        process.send?.({ type: 'listening', port: address.port } satisfies YardstickListening);
    });
  }
}
