/**
 * `npx tsx bench/gc-trace-summary.ts <file>...`: V8's `--trace-gc --trace-gc-nvp` lines in each file
 * summed per process and isolate: collections (scavenges, full), bytes allocated in the young
 * generation and promoted out of it, and pause time. Made for
 * `BENCH_NODE_ARGS='--trace-gc --trace-gc-nvp' BENCH_SERVER_STDOUT=<file> npm run bench:scale`.
 *
 * Promoted bytes are what makes a scavenge long (survivors are copied, the dead cost nothing), and
 * V8 counts them exactly: two runs that differ in N requests give the per-request figure as the
 * difference of their totals over N, however noisy the machine's latencies are.
 */
import fs from 'node:fs';

interface Totals {
  scavenges: number;
  full: number;
  allocated: number;
  promoted: number;
  pause: number;
  longest: number;
}

/** `key=value` fields of one nvp line (values as numbers where they are). */
function fields(line: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of line.split(' ')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

/** The per-isolate totals of the nvp lines in `text` (`[pid:isolate]` prefixes the lines). */
export function summarize(text: string): Map<string, Totals> {
  const totals = new Map<string, Totals>();
  for (const line of text.split('\n')) {
    const who = /^\[(\d+:0x[0-9a-f]+)\]/.exec(line)?.[1];
    if (!who || !line.includes(' gc=')) continue;
    const f = fields(line);
    const t = totals.get(who) ?? { scavenges: 0, full: 0, allocated: 0, promoted: 0, pause: 0, longest: 0 };
    if (f.get('gc') === 's') t.scavenges += 1;
    else t.full += 1;
    t.allocated += Number(f.get('allocated') ?? 0);
    t.promoted += Number(f.get('promoted') ?? 0);
    const pause = Number(f.get('pause') ?? 0);
    t.pause += pause;
    t.longest = Math.max(t.longest, pause);
    totals.set(who, t);
  }
  return totals;
}

const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

if (process.argv[1]?.endsWith('gc-trace-summary.ts')) {
  for (const file of process.argv.slice(2)) {
    console.log(`${file}:`);
    console.log('| process:isolate | scavenges | full | allocated MB | promoted MB | pauses ms (longest) |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    const rows = [...summarize(fs.readFileSync(file, 'utf8'))].sort(
      (a, b) => b[1].allocated - a[1].allocated,
    );
    for (const [who, t] of rows) {
      console.log(
        `| ${who} | ${t.scavenges} | ${t.full} | ${mb(t.allocated)} | ${mb(t.promoted)} | ${t.pause.toFixed(0)} (${t.longest.toFixed(1)}) |`,
      );
    }
  }
}
