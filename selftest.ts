/**
 * `npm run selftest -- --url <base>`: checks a running Plexichat the way a client would and prints
 * a pass/fail table; exit status 1 when a check fails (shared/selftest/run.ts).
 */
import { formatResults, runSelftest } from './shared/selftest/run.js';

const HELP = `Usage: npm run selftest -- --url <base> [--gateway-path /gateway] [--timeout-ms 10000]

Exercises a running deployment: health, register and log in, a server and channel, a message sent
over REST and received over the gateway, an upload read back, and an incoming webhook. Prints one
row per check and exits with status 1 when any fails. It registers a selftest_* user each run.
`;

function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const url = option('url');
if (!url || process.argv.includes('--help')) {
  process.stdout.write(HELP);
  process.exit(url ? 0 : 2);
}
try {
  new URL(url);
} catch {
  process.stderr.write(`selftest: --url ${url} is not a URL\n`);
  process.exit(2);
}
const results = await runSelftest({
  url,
  gatewayPath: option('gateway-path'),
  timeoutMs: option('timeout-ms') ? Number(option('timeout-ms')) : undefined,
});
process.stdout.write(`${formatResults(results)}\n`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
