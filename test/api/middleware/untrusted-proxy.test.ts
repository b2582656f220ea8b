import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { warnUntrustedProxy } from '../../../api/middleware/untrusted-proxy.js';
import { captureLog } from '../../helpers/log-capture.js';

/**
 * A local proxy that server.trusted_proxies does not list is named once in the log, through real
 * HTTP on loopback: the operator learns why every client looks like the proxy.
 */
async function warningsAfter(trusted: boolean, headers: Record<string, string>[]): Promise<string[]> {
  const { logger, lines } = captureLog<{ msg: string; peer?: string }>();
  const app = express();
  app.use(warnUntrustedProxy(logger, () => trusted));
  app.get('/', (_req, res) => res.json({ ok: true }));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    for (const h of headers) {
      const res = await fetch(`http://127.0.0.1:${port}/`, { headers: h });
      expect(res.status).toBe(200);
    }
    return lines.map((l) => `${l.peer}: ${l.msg}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

it('warns once when an untrusted loopback peer forwards for clients', async () => {
  const forwarded = { 'x-forwarded-for': '203.0.113.9' };
  const messages = await warningsAfter(false, [{}, forwarded, forwarded, forwarded]);
  expect(messages).toHaveLength(1);
  expect(messages[0]).toMatch(/^127\.0\.0\.1: .*server\.trusted_proxies/);
});

it('is silent for a trusted proxy and for requests without X-Forwarded-For', async () => {
  expect(await warningsAfter(true, [{ 'x-forwarded-for': '203.0.113.9' }])).toEqual([]);
  expect(await warningsAfter(false, [{}, {}])).toEqual([]);
});
