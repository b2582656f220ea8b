/**
 * Loaded into a bench child with `node --expose-gc --import tsx --import ./bench/memory-probe.ts`
 * and BENCH_MEMORY_DIR=<dir>: on SIGWINCH it runs full garbage collections, then writes
 * what the process holds to `<dir>/memory-<n>.json` (n counts from 1). Bench code only: it lets the
 * connections part read RSS after a forced GC, which a heap snapshot (itself a large allocation)
 * cannot give.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface MemoryReading {
  /** VmRSS, RssAnon and the main malloc arena's resident part ([heap] in smaps), KiB. */
  rss: number;
  anon: number;
  brk: number;
  /** process.memoryUsage(), KiB. */
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Reads /proc/self: RSS, anonymous RSS and the brk heap's RSS, in KiB. */
function procMemory(): { rss: number; anon: number; brk: number } {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  const smaps = fs.readFileSync('/proc/self/smaps', 'utf8');
  const brk = /\[heap\]\n(?:.*\n)*?Rss:\s+(\d+)/.exec(smaps);
  return { rss: field('VmRSS'), anon: field('RssAnon'), brk: Number(brk?.[1] ?? 0) };
}

const dir = process.env.BENCH_MEMORY_DIR;
const gc = (globalThis as { gc?: () => void }).gc;
if (dir && gc) {
  let n = 0;
  const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
  process.on('SIGWINCH', () => {
    void (async () => {
      // Several passes with pauses: finalizers and weak callbacks free more on the next one.
      for (let i = 0; i < 3; i++) {
        gc();
        await sleep(300);
      }
      const usage = process.memoryUsage();
      const reading: MemoryReading = {
        ...procMemory(),
        heapUsed: usage.heapUsed / 1024,
        heapTotal: usage.heapTotal / 1024,
        external: usage.external / 1024,
        arrayBuffers: usage.arrayBuffers / 1024,
      };
      n += 1;
      const file = path.join(dir, `memory-${n}.json`);
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(reading));
      fs.renameSync(`${file}.tmp`, file);
    })();
  });
}
