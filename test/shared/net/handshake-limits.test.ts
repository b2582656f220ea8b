import { handshakeAddress } from '../../../shared/net/handshake-limits.js';
import { testConfig } from '../../helpers/config.js';
import { startLocalServer } from '../../helpers/http-server.js';
import { captureLog } from '../../helpers/log-capture.js';

/**
 * The addresses handshakes are counted under, read from real requests on loopback, and the log
 * lines that reading wrote (a standalone gateway has no API in its process to warn for it).
 */
async function addressesOf(
  trustedProxies: string[],
  headers: Record<string, string>[],
): Promise<{ addresses: string[]; warnings: string[] }> {
  const { logger, lines } = captureLog<{ msg: string; peer?: string }>();
  const config = testConfig({ server: { trusted_proxies: trustedProxies } });
  const addressOf = handshakeAddress({ config, logger });
  const addresses: string[] = [];
  const server = await startLocalServer((req, res) => {
    addresses.push(addressOf(req));
    res.end();
  });
  try {
    for (const h of headers) await fetch(server.origin, { headers: h });
  } finally {
    await server.close();
  }
  return { addresses, warnings: lines.map((l) => `${l.peer}: ${l.msg}`) };
}

const forwarded = { 'x-forwarded-for': '198.51.100.7' };

it('believes X-Forwarded-For from a trusted proxy only', async () => {
  expect((await addressesOf(['127.0.0.1'], [forwarded, {}])).addresses).toEqual([
    '198.51.100.7',
    '127.0.0.1',
  ]);
  expect((await addressesOf([], [forwarded])).addresses).toEqual(['127.0.0.1']);
});

it('names an untrusted local proxy in the log once: all its clients would share one handshake budget', async () => {
  const { warnings } = await addressesOf([], [forwarded, forwarded, {}]);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/^127\.0\.0\.1: .*server\.trusted_proxies/);
  expect((await addressesOf(['127.0.0.1'], [forwarded])).warnings).toEqual([]);
});
