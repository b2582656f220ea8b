import cluster from 'node:cluster';

/** What a yardstick's primary tells the parent (bench/harness.ts startBareServer). */
export type YardstickListening = { type: 'listening'; port: number };

/**
 * The primary's part of a yardstick (bench/bare-server.ts, bench/stack-floor.ts,
 * bench/message-floor.ts): forks `processes` workers (with `env` added to their environment) that
 * share one port and tells the parent that port once every worker listens.
 */
export function forkListeners(processes: number, env: Record<string, string> = {}): void {
  let listening = 0;
  for (let i = 0; i < processes; i++) {
    const worker = cluster.fork(env);
    worker.on('listening', (address) => {
      listening += 1;
      if (listening === processes)
        process.send?.({ type: 'listening', port: address.port } satisfies YardstickListening);
    });
  }
}
