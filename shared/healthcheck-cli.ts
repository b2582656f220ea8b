/**
 * Container healthcheck: `node dist/shared/healthcheck-cli.js <url>` exits 0 when `url` answers
 * 2xx within 3 s. The slim Node image has no curl; each role's check in docker-compose.yml names
 * its own URL (the API's /ready, a gateway's or voice's socket.io handshake, workers' /metrics).
 */
const url = process.argv[2];
if (!url) {
  process.stderr.write('usage: healthcheck-cli <url>\n');
  process.exit(2);
}
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
