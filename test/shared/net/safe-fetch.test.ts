import dns from 'node:dns';
import { jest } from '@jest/globals';
import { isPublicAddress } from '../../../shared/net/public-address.js';
import {
  plainlyBlocked,
  safeFetch,
  SafeFetchError,
  type OutboundSettings,
  type SafeFetchOptions,
} from '../../../shared/net/safe-fetch.js';
import { startLocalServer, type LocalServer } from '../../helpers/http-server.js';

const BASE: OutboundSettings = {
  allow_private: [],
  connect_timeout_ms: 2000,
  total_timeout_ms: 5000,
  max_redirects: 3,
  user_agent: 'Plexichat-test',
};

function options(
  outbound: Partial<OutboundSettings> = {},
  extra: Partial<SafeFetchOptions> = {},
): SafeFetchOptions {
  return { outbound: { ...BASE, ...outbound }, maxBytes: 1024 * 1024, ...extra };
}

/** The code a fetch (and reading its body) failed with; null when it succeeded. */
async function failure(url: string, opts: SafeFetchOptions): Promise<string | null> {
  try {
    const res = await safeFetch(url, opts);
    await res.read();
    return null;
  } catch (err) {
    if (err instanceof SafeFetchError) return err.code;
    throw err;
  }
}

const servers: LocalServer[] = [];
async function serve(...args: Parameters<typeof startLocalServer>): Promise<LocalServer> {
  const server = await startLocalServer(...args);
  servers.push(server);
  return server;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('isPublicAddress', () => {
  it.each([
    ['loopback', '127.0.0.1'],
    ['loopback, elsewhere in 127/8', '127.5.6.7'],
    ['RFC 1918 10/8', '10.0.0.1'],
    ['RFC 1918 172.16/12', '172.16.5.4'],
    ['RFC 1918 192.168/16', '192.168.1.1'],
    ['cloud metadata (link-local)', '169.254.169.254'],
    ['carrier-grade NAT', '100.64.0.1'],
    ['unspecified', '0.0.0.0'],
    ['0/8', '0.1.2.3'],
    ['broadcast', '255.255.255.255'],
    ['multicast', '224.0.0.1'],
    ['benchmarking', '198.18.0.1'],
    ['documentation', '192.0.2.1'],
    ['reserved 240/4', '240.0.0.1'],
    ['IPv6 loopback', '::1'],
    ['IPv6 unspecified', '::'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-mapped private (hex form)', '::ffff:a00:1'],
    ['IPv4-compatible loopback', '::127.0.0.1'],
    ['IPv6 link-local', 'fe80::1'],
    ['IPv6 link-local with zone', 'fe80::1%eth0'],
    ['unique-local', 'fc00::1'],
    ['AWS IPv6 metadata', 'fd00:ec2::254'],
    ['IPv6 multicast', 'ff02::1'],
    ['6to4 of 127.0.0.1', '2002:7f00:1::1'],
    ['6to4 of 10.0.0.1', '2002:a00:1::'],
    ['Teredo with a private client (10.0.0.1 inverted)', '2001:0:4136:e378:8000:63bf:f5ff:fffe'],
    ['NAT64 of 127.0.0.1', '64:ff9b::7f00:1'],
    ['NAT64 of 169.254.169.254', '64:ff9b::a9fe:a9fe'],
    ['local-use NAT64', '64:ff9b:1::808:808'],
    ['IPv6 documentation', '2001:db8::1'],
    ['not an address', 'example.com'],
  ])('refuses %s (%s)', (_what, address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    ['a public IPv4', '93.184.216.34'],
    ['another public IPv4', '1.1.1.1'],
    ['a public IPv6', '2606:4700:4700::1111'],
    ['IPv4-mapped public', '::ffff:8.8.8.8'],
    ['6to4 of a public address', '2002:808:808::1'],
    ['NAT64 of a public address', '64:ff9b::808:808'],
    ['Teredo between public addresses', '2001:0:4136:e378:8000:63bf:f7f7:f7f7'],
  ])('accepts %s (%s)', (_what, address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('safeFetch refuses the instance network', () => {
  let target: LocalServer;
  let target6: LocalServer;
  beforeAll(async () => {
    target = await serve((_req, res) => res.end('secret'));
    target6 = await serve((_req, res) => res.end('secret6'), '::1');
  });

  it.each([
    ['127.0.0.1', () => `http://127.0.0.1:${target.port}/`],
    ['10.0.0.1', () => 'http://10.0.0.1/'],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['[::1]', () => `http://[::1]:${target6.port}/`],
    ['[::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${target.port}/`],
    ['a name resolving to loopback (localhost)', () => `http://localhost:${target.port}/`],
    ['the metadata address over https', () => 'https://169.254.169.254/'],
    ['0.0.0.0', () => `http://0.0.0.0:${target.port}/`],
    ['a decimal-encoded loopback (2130706433)', () => `http://2130706433:${target.port}/`],
  ])('blocked_address for %s, without sending anything', async (_what, url) => {
    expect(await failure(url(), options())).toBe('blocked_address');
    expect(target.requests).toHaveLength(0);
    expect(target6.requests).toHaveLength(0);
  });

  it.each([
    ['an ftp URL', 'ftp://example.com/file'],
    ['a file URL', 'file:///etc/passwd'],
    ['credentials in the URL', 'http://user:pass@example.com/'],
    ['not a URL', 'not a url'],
    ['a javascript URL', 'javascript:alert(1)'],
  ])('bad_url for %s', async (_what, url) => {
    expect(await failure(url, options())).toBe('bad_url');
  });

  it('a name that resolves to a private address is refused even when another answer is public', async () => {
    const spy = jest.spyOn(dns.promises, 'lookup').mockResolvedValue([
      { address: '93.184.216.34', family: 4 },
      { address: '10.1.2.3', family: 4 },
    ] as never);
    try {
      expect(await failure('http://mixed.invalid/', options())).toBe('blocked_address');
    } finally {
      spy.mockRestore();
    }
  });

  it('connects to the vetted address itself: a DNS answer changing after the check is never used', async () => {
    const allowed = await serve((req, res) => res.end(`vetted ${req.headers.host}`), '127.0.0.2');
    // The check resolves to 127.0.0.2 (allowed); any later resolution (a rebinding) says 127.0.0.1.
    const check = jest
      .spyOn(dns.promises, 'lookup')
      .mockResolvedValue([{ address: '127.0.0.2', family: 4 }] as never);
    const rebind = jest.spyOn(dns, 'lookup').mockImplementation(((
      _host: string,
      opts: unknown,
      cb: (...args: unknown[]) => void,
    ) => {
      const callback = typeof opts === 'function' ? (opts as typeof cb) : cb;
      callback(null, [{ address: '127.0.0.1', family: 4 }]);
    }) as never);
    try {
      const res = await safeFetch(
        `http://rebind.invalid:${allowed.port}/`,
        options({ allow_private: ['127.0.0.2/32'] }),
      );
      expect(res.address).toBe('127.0.0.2');
      // Host keeps the name; the bytes came from the vetted server, not the rebound one.
      expect((await res.read()).toString()).toBe(`vetted rebind.invalid:${allowed.port}`);
      expect(target.requests).toHaveLength(0);
    } finally {
      check.mockRestore();
      rebind.mockRestore();
    }
  });
});

describe('plainlyBlocked (no lookup)', () => {
  it('knows private and reserved literals and localhost, minus allow_private; names need a lookup', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://[::1]/',
      'http://10.1.2.3/',
      'http://LocalHost:80/',
      'http://a.localhost/',
    ]) {
      expect([url, plainlyBlocked(url, { allow_private: [] })]).toEqual([url, true]);
    }
    // Validation input only: plainlyBlocked parses the URL and connects nowhere.
    for (const url of ['http://93.184.215.14/', 'http://example.com/', 'not a url', 'ftp://10.0.0.1/']) {
      expect([url, plainlyBlocked(url, { allow_private: [] })]).toEqual([url, false]);
    }
    const loopback = { allow_private: ['127.0.0.0/8', '::1'] };
    expect([
      plainlyBlocked('http://127.0.0.2/', loopback),
      plainlyBlocked('http://localhost/', loopback),
    ]).toEqual([false, false]);
  });
});

describe('safeFetch with outbound.allow_private', () => {
  const loopback = { allow_private: ['127.0.0.0/8', '::1'] };

  it('fetches an allowed address, by name or literal, with our user agent and Host kept as the name', async () => {
    const server = await serve((req, res) => {
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end(`${req.headers.host} ${req.headers['user-agent']}`);
    });
    const byName = await safeFetch(`http://localhost:${server.port}/x`, options(loopback));
    expect([byName.status, byName.contentType]).toEqual([200, 'text/plain']);
    expect((await byName.read()).toString()).toBe(`localhost:${server.port} Plexichat-test`);
    const v6 = await serve((_req, res) => res.end('v6'), '::1');
    expect((await (await safeFetch(`${v6.origin}/`, options(loopback))).read()).toString()).toBe('v6');
  });

  it('allows only the listed CIDRs: 127.0.0.2/32 does not open 127.0.0.1', async () => {
    const server = await serve((_req, res) => res.end('x'));
    expect(await failure(`${server.origin}/`, options({ allow_private: ['127.0.0.2/32'] }))).toBe(
      'blocked_address',
    );
    expect(server.requests).toHaveLength(0);
  });

  it('http_error for a non-2xx answer; with requireOk false the status is returned', async () => {
    const server = await serve((_req, res) => {
      res.statusCode = 404;
      res.end('nope');
    });
    const err = await safeFetch(`${server.origin}/`, options(loopback)).catch((e: SafeFetchError) => e);
    expect(err).toBeInstanceOf(SafeFetchError);
    expect([(err as SafeFetchError).code, (err as SafeFetchError).status]).toEqual(['http_error', 404]);
    const res = await safeFetch(`${server.origin}/`, options(loopback, { requireOk: false }));
    expect(res.status).toBe(404);
    expect((await res.read()).toString()).toBe('nope');
  });

  it('fetch_failed when nothing listens', async () => {
    const server = await serve((_req, res) => res.end());
    const url = `${server.origin}/`;
    await server.close();
    expect(await failure(url, options(loopback))).toBe('fetch_failed');
  });
});

describe('redirects', () => {
  // One loopback alias is "the internet" here: 127.0.0.2 is allowed, every other private
  // address (127.0.0.1 included) stays refused, so a redirect from the allowed host into the
  // instance network can be observed end to end on one machine.
  const internet = { allow_private: ['127.0.0.2/32'] };
  let inside: LocalServer;
  let inside6: LocalServer;
  beforeAll(async () => {
    inside = await serve((_req, res) => res.end('internal'));
    inside6 = await serve((_req, res) => res.end('internal6'), '::1');
  });

  async function redirector(location: () => string, status = 302): Promise<LocalServer> {
    return serve((req, res) => {
      if (req.url === '/final') {
        res.end('final');
        return;
      }
      res.statusCode = status;
      res.setHeader('location', location());
      res.end();
    }, '127.0.0.2');
  }

  it('follows redirects to allowed hosts, relative ones included', async () => {
    const server = await redirector(() => '/final', 301);
    const res = await safeFetch(`${server.origin}/start`, options(internet));
    expect((await res.read()).toString()).toBe('final');
    expect(res.url).toBe(`${server.origin}/final`);
    expect(server.requests.map((r) => r.url)).toEqual(['/start', '/final']);
  });

  it.each([
    ['127.0.0.1', () => `http://127.0.0.1:${inside.port}/`],
    ['localhost', () => `http://localhost:${inside.port}/`],
    ['[::1]', () => `http://[::1]:${inside6.port}/`],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/iam/'],
    ['10.0.0.1', () => 'http://10.0.0.1/'],
  ])('a redirect from an allowed host to %s is refused at that hop', async (_what, target) => {
    const server = await redirector(target);
    expect(await failure(`${server.origin}/`, options(internet))).toBe('blocked_address');
    expect(server.requests).toHaveLength(1);
    expect(inside.requests).toHaveLength(0);
    expect(inside6.requests).toHaveLength(0);
  });

  it('a redirect to another scheme is bad_url', async () => {
    const server = await redirector(() => 'file:///etc/passwd');
    expect(await failure(`${server.origin}/`, options(internet))).toBe('bad_url');
  });

  it('too_many_redirects after max_redirects hops', async () => {
    const server = await redirector(() => '/again');
    expect(await failure(`${server.origin}/`, options({ ...internet, max_redirects: 3 }))).toBe(
      'too_many_redirects',
    );
    // The first request and three redirects followed; the fourth Location is refused.
    expect(server.requests).toHaveLength(4);
    const none = await redirector(() => '/again');
    expect(await failure(`${none.origin}/`, options({ ...internet, max_redirects: 0 }))).toBe(
      'too_many_redirects',
    );
    expect(none.requests).toHaveLength(1);
  });
});

describe('limits', () => {
  const loopback = { allow_private: ['127.0.0.0/8'] };

  it('timeout when the server never answers', async () => {
    const silent = await serve(() => undefined);
    expect(await failure(`${silent.origin}/`, options({ ...loopback, total_timeout_ms: 300 }))).toBe(
      'timeout',
    );
    expect(silent.requests).toHaveLength(1);
  });

  it('timeout when the body never ends (the total timeout covers reading it)', async () => {
    const trickle = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<html>');
    });
    const res = await safeFetch(`${trickle.origin}/`, options({ ...loopback, total_timeout_ms: 300 }));
    await expect(res.read()).rejects.toMatchObject({ code: 'timeout' });
  });

  it('too_large as soon as a declared Content-Length exceeds the cap', async () => {
    const big = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
    });
    expect(await failure(`${big.origin}/`, options(loopback, { maxBytes: 64 * 1024 }))).toBe('too_large');
  });

  it('too_large while streaming an undeclared huge body, and the stream is cut', async () => {
    let written = 0;
    const huge = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = (): void => {
        // 100 MiB if nobody stops reading.
        while (written < 100 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => res.off('drain', pump));
      pump();
    });
    expect(await failure(`${huge.origin}/`, options(loopback, { maxBytes: 256 * 1024 }))).toBe('too_large');
    expect(written).toBeLessThan(100 * 1024 * 1024);
  });

  it('truncate: the body ends quietly at the cap', async () => {
    const huge = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(Buffer.alloc(300 * 1024, 'b'));
    });
    const res = await safeFetch(
      `${huge.origin}/`,
      options(loopback, { maxBytes: 100 * 1024, truncate: true }),
    );
    expect((await res.read()).length).toBe(100 * 1024);
    expect(res.truncated).toBe(true);
  });
});
