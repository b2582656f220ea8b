/**
 * `npx tsx bench/profile-summary.ts <dir> [top]`: the V8 CPU profiles in `dir` summarized as CPU time
 * by package (sequelize, pg, ioredis, bullmq, socket.io/ws, express, our code, GC...) and the top
 * self-time frames, per process and for all of them together.
 *
 * Made for `BENCH_PARTS=cpu BENCH_PROFILE=<dir> npm run bench:scale`, which leaves the profiles of
 * Plexichat's processes (node --cpu-prof) and a window.json (the cpu part's measured window on the
 * monotonic clock, its message count, each process's role): only samples inside the window are
 * counted, so setup and shutdown do not blur the figures. Without window.json every sample counts.
 * Run the bench itself under `node --cpu-prof --cpu-prof-dir=<dir> --import tsx` to add the load
 * generator's profile.
 *
 * Time is charged to a package by the nearest frame that belongs to one: a native function or a
 * Node core frame (a socket write, JSON.stringify) counts for the package that called it. The
 * "self" table keeps them apart instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}
interface Window {
  startUs: number;
  endUs: number;
  messages: number;
  roles: Record<string, string>;
  /** CPU ms each role spent in the window, from /proc (bench/cpu.ts). */
  cpuMs: Record<string, number>;
}

/** Packages that make one line of the summary together. */
const FAMILIES: [RegExp, string][] = [
  [/^(sequelize|sequelize-pool|lodash|dottie|inflection|wkx|retry-as-promised)$/, 'sequelize (+lodash)'],
  [/^(pg|pg-protocol|pg-pool|pg-types|pg-connection-string|postgres-\w+|pgpass)$/, 'pg'],
  [/^(ioredis|redis-parser|@ioredis\/.*|denque|cluster-key-slot|redis-errors)$/, 'ioredis'],
  [/^(bullmq|msgpackr|msgpackr-extract|cron-parser|node-abort-controller)$/, 'bullmq'],
  [
    /^(socket\.io|socket\.io-parser|socket\.io-adapter|engine\.io|engine\.io-parser|ws|@socket\.io\/.*|base64id)$/,
    'socket.io / ws',
  ],
  [/^(socket\.io-client|engine\.io-client|undici|xmlhttprequest-ssl)$/, 'clients (socket.io-client, fetch)'],
  [
    /^(express|router|body-parser|raw-body|iconv-lite|type-is|content-type|qs|on-finished|finalhandler|send|serve-static|cors|helmet|path-to-regexp|accepts|negotiator|mime-types|proxy-addr|vary|depd|statuses|http-errors|cookie|etag|fresh|parseurl|encodeurl|escape-html|range-parser|merge-descriptors|forwarded|ipaddr\.js)$/,
    'express (+middleware)',
  ],
  [
    /^(pino|pino-http|pino-std-serializers|fast-redact|sonic-boom|thread-stream|atomic-sleep|quick-format-unescaped|safe-stable-stringify|on-exit-leak-free|real-require)$/,
    'pino',
  ],
  [/^(passport|passport-strategy|utils-merge|pause)$/, 'passport'],
  [/^(joi|@hapi\/.*|@sideway\/.*)$/, 'joi'],
  [/^(rate-limiter-flexible)$/, 'rate-limiter-flexible'],
  [/^(prom-client|tdigest|bintrees)$/, 'prom-client'],
  [/^(tsx|esbuild|get-tsconfig|source-map-support)$/, 'tsx (loader)'],
];

/** The package of a script URL, the part of our tree, or a kind of native time. */
function categoryOf(frame: CallFrame): string | null {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8 / native (program)';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(root)') return null;
  if (!url) return null; // a native or builtin function: its caller's
  if (url.startsWith('wasm:') || url.includes('internal/deps/undici'))
    return 'clients (socket.io-client, fetch)';
  if (url.startsWith('node:')) return 'node core';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    const name = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? '?');
    return FAMILIES.find(([re]) => re.test(name))?.[1] ?? name;
  }
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  const relative = path.relative(ROOT, file);
  if (relative.startsWith('..')) return 'other scripts';
  const [top, second] = relative.split(path.sep);
  return `ours: ${top === 'shared' && second && !second.includes('.') ? `shared/${second}` : top}`;
}

/** Each profile node's category for the package table (natives and Node core go to their caller). */
function attribute(profile: CpuProfile): { charged: Map<number, string>; self: Map<number, string> } {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const charged = new Map<number, string>();
  const self = new Map<number, string>();
  for (const node of profile.nodes) {
    const own = categoryOf(node.callFrame);
    self.set(node.id, own ?? 'native (builtins)');
    let id: number | undefined = node.id;
    let found: string | null = null;
    let sawCore = false;
    while (id !== undefined) {
      const category = categoryOf((byId.get(id) as ProfileNode).callFrame);
      if (category === 'node core') sawCore = true;
      else if (category) {
        found = category;
        break;
      }
      id = parent.get(id);
    }
    charged.set(node.id, found ?? (sawCore ? 'node core' : 'native (builtins)'));
  }
  return { charged, self };
}

/** Sample times (µs) per node within the window. */
function sampleWeights(profile: CpuProfile, window: Window | null): Map<number, number> {
  const weights = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (window && (t < window.startUs || t > window.endUs)) continue;
    // A sample stands for the time until the next one (capped: a stall is not CPU).
    const weight = Math.min(profile.timeDeltas[i + 1] ?? 1000, 10_000);
    const node = profile.samples[i] as number;
    weights.set(node, (weights.get(node) ?? 0) + weight);
  }
  return weights;
}

function sum(into: Map<string, number>, key: string, value: number): void {
  into.set(key, (into.get(key) ?? 0) + value);
}

/**
 * Rows as shares of the sampled busy time, and (given the process's CPU-ms per message measured
 * from /proc) that share of it: sampled time itself also counts time spent waiting for a core.
 */
function table(
  title: string,
  rows: Map<string, number>,
  busyUs: number,
  perMessage: number | null,
): string[] {
  const lines = [`| ${title} | share of busy | CPU-ms per message |`, '| --- | --- | --- |'];
  for (const [key, us] of [...rows].sort((a, b) => b[1] - a[1])) {
    if (us / busyUs < 0.005) continue;
    lines.push(
      `| ${key} | ${((100 * us) / busyUs).toFixed(1)}% | ` +
        `${perMessage === null ? '-' : ((perMessage * us) / busyUs).toFixed(3)} |`,
    );
  }
  return lines;
}

function main(): void {
  const dir = process.argv[2];
  const top = Number(process.argv[3] ?? 15);
  if (!dir) {
    console.error('usage: npx tsx bench/profile-summary.ts <dir with .cpuprofile files> [top frames]');
    process.exit(2);
  }
  const windowFile = path.join(dir, 'window.json');
  const window = fs.existsSync(windowFile)
    ? (JSON.parse(fs.readFileSync(windowFile, 'utf8')) as Window)
    : null;
  const messages = window?.messages ?? 0;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  // Across processes, each one's samples weigh as its measured CPU time (µs per message).
  const allPackages = new Map<string, number>();
  const allFrames = new Map<string, number>();
  let allPerMessage = 0;
  const out: string[] = [];
  if (window) {
    out.push(
      `window: ${((window.endUs - window.startUs) / 1e6).toFixed(1)} s, ${messages} messages; ` +
        "shares of the samples inside it, and those shares of each process's CPU-ms per message as " +
        'measured in the same run (profiling adds its own cost to both)',
      '',
    );
  }
  for (const file of files) {
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile
    const [, , , pid = '?', thread = '0'] = file.split('.');
    const named = window ? window.roles[pid] : `pid ${pid}`;
    if (!named) continue; // a process outside the measured set (the bench's own helpers)
    // Thread 0 is the main thread; others are workers (tsx's module loader thread).
    const role = thread === '0' ? named : `${named}, thread ${thread}`;
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const weights = sampleWeights(profile, window);
    const { charged, self } = attribute(profile);
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const packages = new Map<string, number>();
    const selfKinds = new Map<string, number>();
    const frames = new Map<string, number>();
    let busy = 0;
    for (const [id, us] of weights) {
      const category = charged.get(id) as string;
      if (category === 'idle') continue;
      busy += us;
      sum(packages, category, us);
      sum(selfKinds, self.get(id) as string, us);
      const frame = (byId.get(id) as ProfileNode).callFrame;
      const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : 'native';
      sum(frames, `${frame.functionName || '(anonymous)'} (${where}) [${category}]`, us);
    }
    if (busy === 0) continue;
    const cpuMs = thread === '0' ? window?.cpuMs?.[named] : undefined;
    const perMessage = cpuMs !== undefined && messages ? cpuMs / messages : null;
    if (perMessage !== null) {
      allPerMessage += perMessage;
      for (const [k, v] of packages) sum(allPackages, k, (perMessage * v) / busy);
      for (const [k, v] of frames) sum(allFrames, `${role}: ${k}`, (perMessage * v) / busy);
    }
    out.push(
      `## ${role} (pid ${pid}): ${perMessage === null ? '' : `${perMessage.toFixed(2)} CPU-ms per message, `}` +
        `${profile.samples.length} samples`,
      '',
    );
    out.push(...table('package (natives charged to the caller)', packages, busy, perMessage), '');
    out.push(...table('self (as V8 saw the leaf frame)', selfKinds, busy, perMessage), '');
    const topFrames = new Map([...frames].sort((a, b) => b[1] - a[1]).slice(0, top));
    out.push(...table(`top ${top} self frames`, topFrames, busy, perMessage), '');
  }
  if (allPerMessage > 0) {
    out.push(`## all profiled processes: ${allPerMessage.toFixed(2)} CPU-ms per message`, '');
    out.push(
      ...table('package (natives charged to the caller)', allPackages, allPerMessage, allPerMessage),
      '',
    );
    const topFrames = new Map([...allFrames].sort((a, b) => b[1] - a[1]).slice(0, top));
    out.push(...table(`top ${top} self frames`, topFrames, allPerMessage, allPerMessage));
  }
  console.log(out.join('\n'));
}

main();
