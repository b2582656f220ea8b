import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Readable } from 'node:stream';
import type { Config } from '../config/index.js';
import { CidrSet } from './ip.js';
import { isPublicAddress } from './public-address.js';

/** Why a fetch was refused or failed; each maps to one HTTP answer where a route relays it. */
export type SafeFetchErrorCode =
  | 'bad_url'
  | 'blocked_address'
  | 'timeout'
  | 'too_large'
  | 'too_many_redirects'
  | 'http_error'
  /** DNS found nothing, the connection was refused or reset, TLS failed. */
  | 'fetch_failed';

/** A refused or failed outbound fetch; `status` is the remote's for `http_error`. */
export class SafeFetchError extends Error {
  constructor(
    readonly code: SafeFetchErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SafeFetchError';
  }
}

/** The outbound settings a fetch obeys (config section `outbound`). */
export type OutboundSettings = Pick<
  Config['outbound'],
  'allow_private' | 'connect_timeout_ms' | 'total_timeout_ms' | 'max_redirects' | 'user_agent'
>;

export interface SafeFetchOptions {
  outbound: OutboundSettings;
  /** Most body bytes read: beyond it the body fails with `too_large` (or ends, with `truncate`). */
  maxBytes: number;
  /** End the body quietly at maxBytes instead of failing (a link preview needs only the head of a page). */
  truncate?: boolean;
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Fail with `http_error` unless the final status is 2xx (default true). */
  requireOk?: boolean;
  /** Overrides outbound.max_redirects. */
  maxRedirects?: number;
  signal?: AbortSignal;
}

export interface SafeResponse {
  /** The URL finally answered, after redirects. */
  url: string;
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The declared media type, lower case, without parameters; null when absent. */
  contentType: string | null;
  /** The address connected to for the final hop. */
  address: string;
  /** The body, capped; it fails with a SafeFetchError (`too_large`, `timeout`, `fetch_failed`). */
  body: Readable;
  /** The whole (capped) body. */
  read(): Promise<Buffer>;
  /** True once a truncating body stopped at maxBytes. */
  readonly truncated: boolean;
  /** Stops reading and closes the connection. */
  close(): void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

// One parsed set per configured list (the config object lives as long as the process).
const allowSets = new WeakMap<string[], CidrSet>();
function allowSet(cidrs: string[]): CidrSet {
  let set = allowSets.get(cidrs);
  if (!set) {
    set = new CidrSet(cidrs);
    allowSets.set(cidrs, set);
  }
  return set;
}

/** Parses and vets a URL: http(s) only, a host, no credentials. */
function checkUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new SafeFetchError('bad_url', 'Not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SafeFetchError('bad_url', 'Only http and https URLs can be fetched');
  }
  if (url.username || url.password) throw new SafeFetchError('bad_url', 'URLs with credentials are refused');
  if (!url.hostname) throw new SafeFetchError('bad_url', 'The URL has no host');
  return url;
}

/** `[::1]` -> `::1`: URL keeps IPv6 literals bracketed, sockets want them bare. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Resolves `host` once and vets every address it has: one private address among public ones is
 * enough to refuse (an attacker's DNS may answer either). Returns the address to connect to.
 */
async function resolveChecked(host: string, allow: CidrSet, signal: AbortSignal): Promise<dns.LookupAddress> {
  let addresses: dns.LookupAddress[];
  if (net.isIP(host)) {
    addresses = [{ address: host, family: net.isIP(host) }];
  } else {
    try {
      addresses = await abortable(dns.promises.lookup(host, { all: true, verbatim: true }), signal);
    } catch (err) {
      if (err instanceof SafeFetchError) throw err;
      throw new SafeFetchError('fetch_failed', `Cannot resolve ${host}`);
    }
  }
  const first = addresses[0];
  if (!first) throw new SafeFetchError('fetch_failed', `Cannot resolve ${host}`);
  for (const { address } of addresses) {
    if (!isPublicAddress(address) && !allow.has(address)) {
      throw new SafeFetchError('blocked_address', `${host} resolves to a private or reserved address`);
    }
  }
  return first;
}

/** A socket lookup that always answers with the address already vetted: no second DNS query. */
function pinnedLookup(pinned: dns.LookupAddress): net.LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
}

interface HopRequest {
  url: URL;
  pinned: dns.LookupAddress;
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  connectTimeoutMs: number;
  signal: AbortSignal;
}

/** One request to the pinned address; resolves with the response head. */
function requestHop(hop: HopRequest): Promise<http.IncomingMessage> {
  const secure = hop.url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      method: hop.method,
      // The name, not the address: Host and TLS SNI/certificate checks use it; `lookup` pins the address.
      host: bareHost(hop.url),
      port: hop.url.port || (secure ? 443 : 80),
      path: `${hop.url.pathname}${hop.url.search}`,
      headers: hop.headers,
      lookup: pinnedLookup(hop.pinned),
      // A fresh connection per hop: a pooled socket might have been opened to another address.
      agent: false,
    };
    const req = (secure ? https : http).request(options);
    const fail = (err: Error): void => {
      reject(err instanceof SafeFetchError ? err : new SafeFetchError('fetch_failed', err.message));
    };
    const onAbort = (): void => {
      req.destroy(hop.signal.reason as Error);
    };
    if (hop.signal.aborted) return onAbort();
    hop.signal.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => hop.signal.removeEventListener('abort', onAbort));
    req.once('socket', (socket) => {
      const timer = setTimeout(() => {
        req.destroy(
          new SafeFetchError('timeout', `No connection to ${hop.url.host} within the connect timeout`),
        );
      }, hop.connectTimeoutMs);
      const connected = (): void => clearTimeout(timer);
      socket.once(secure ? 'secureConnect' : 'connect', connected);
      socket.once('close', connected);
    });
    req.once('error', fail);
    req.once('response', (res) => {
      // Errors after this point belong to the body.
      req.off('error', fail);
      req.on('error', () => undefined);
      resolve(res);
    });
    req.end(hop.body);
  });
}

/** Wraps a response body: counts bytes, enforces the cap, maps errors to SafeFetchError. */
function cappedBody(
  res: http.IncomingMessage,
  maxBytes: number,
  truncate: boolean,
  onDone: () => void,
): { body: Readable; truncated: () => boolean } {
  let seen = 0;
  let finished = false;
  let truncated = false;
  const body = new Readable({
    read() {
      res.resume();
    },
    destroy(err, callback) {
      finished = true;
      res.destroy();
      onDone();
      callback(err);
    },
  });
  res.on('data', (chunk: Buffer) => {
    if (finished) return;
    seen += chunk.length;
    if (seen > maxBytes) {
      if (!truncate) {
        body.destroy(new SafeFetchError('too_large', `The response is larger than ${maxBytes} bytes`));
        return;
      }
      truncated = true;
      finished = true;
      const keep = chunk.subarray(0, chunk.length - (seen - maxBytes));
      if (keep.length > 0) body.push(keep);
      body.push(null);
      res.destroy();
      onDone();
      return;
    }
    if (!body.push(chunk)) res.pause();
  });
  res.once('end', () => {
    if (finished) return;
    finished = true;
    body.push(null);
    onDone();
  });
  res.on('error', (err) => {
    if (!finished)
      body.destroy(err instanceof SafeFetchError ? err : new SafeFetchError('fetch_failed', err.message));
  });
  res.once('close', () => {
    if (!finished)
      body.destroy(new SafeFetchError('fetch_failed', 'The connection closed before the body ended'));
  });
  // A body nobody reads may still fail (the total timeout): that must not crash the process.
  // Readers (pipeline, for await, read()) still get the error through their own listeners.
  body.on('error', () => undefined);
  return { body, truncated: () => truncated };
}

/**
 * Fetches a URL for a user (media proxy, link previews, webhooks) without letting it reach the
 * instance's own network. Per hop: the URL must be http(s) without credentials; its host is
 * resolved once and refused if any address is not public (shared/net/public-address.ts) unless it
 * lies in outbound.allow_private; the connection then goes to that very address (a pinned lookup,
 * so DNS rebinding between check and connect is impossible) with Host and SNI left as the name.
 * Redirects are followed by hand, each hop vetted the same way, at most `max_redirects`. A connect
 * timeout bounds each connection and a total timeout the whole fetch, body included; the body is
 * cut at `maxBytes`. Failures are SafeFetchErrors with a code.
 */
export async function safeFetch(input: string, options: SafeFetchOptions): Promise<SafeResponse> {
  const { outbound } = options;
  let url = checkUrl(input);
  const allow = allowSet(outbound.allow_private);
  const maxRedirects = options.maxRedirects ?? outbound.max_redirects;
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(
      new SafeFetchError('timeout', `No complete answer within ${outbound.total_timeout_ms} ms`),
    );
  }, outbound.total_timeout_ms);
  const stopTimer = (): void => clearTimeout(timer);
  const external = options.signal;
  const onExternalAbort = (): void => controller.abort(external?.reason);
  if (external?.aborted) onExternalAbort();
  else external?.addEventListener('abort', onExternalAbort, { once: true });
  const cleanup = (): void => {
    stopTimer();
    external?.removeEventListener('abort', onExternalAbort);
  };

  let method: string = options.method ?? 'GET';
  let body = options.body;
  const headers: Record<string, string> = {
    'user-agent': outbound.user_agent,
    // Compressed bodies would defeat the byte cap's meaning and the parsers downstream.
    'accept-encoding': 'identity',
    ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  try {
    for (let hop = 0; ; hop++) {
      const pinned = await resolveChecked(bareHost(url), allow, controller.signal);
      const res = await requestHop({
        url,
        pinned,
        method,
        headers,
        body,
        connectTimeoutMs: outbound.connect_timeout_ms,
        signal: controller.signal,
      });
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECTS.has(status) && location) {
        res.destroy();
        if (hop >= maxRedirects) {
          throw new SafeFetchError('too_many_redirects', `More than ${maxRedirects} redirects`);
        }
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new SafeFetchError('bad_url', 'The redirect target is not a valid URL');
        }
        next = checkUrl(next.toString());
        // Credentials meant for one origin never follow a redirect to another.
        if (next.origin !== url.origin) delete headers.authorization;
        // As browsers do: 303 (and 301/302 after a POST) continue as a GET without the body.
        if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
          method = method === 'HEAD' ? 'HEAD' : 'GET';
          body = undefined;
          delete headers['content-type'];
        }
        url = next;
        continue;
      }
      if ((options.requireOk ?? true) && (status < 200 || status > 299)) {
        res.destroy();
        throw new SafeFetchError('http_error', `The server answered ${status}`, status);
      }
      const declared = Number(res.headers['content-length']);
      if (
        !options.truncate &&
        method !== 'HEAD' &&
        Number.isFinite(declared) &&
        declared > options.maxBytes
      ) {
        res.destroy();
        throw new SafeFetchError('too_large', `The response is larger than ${options.maxBytes} bytes`);
      }
      const capped = cappedBody(res, options.maxBytes, options.truncate ?? false, cleanup);
      // The total timeout keeps running while the body is read.
      const onAbort = (): void => {
        capped.body.destroy(controller.signal.reason as Error);
      };
      controller.signal.addEventListener('abort', onAbort, { once: true });
      capped.body.once('close', () => controller.signal.removeEventListener('abort', onAbort));
      const contentType = res.headers['content-type']?.split(';')[0]?.trim().toLowerCase() || null;
      return {
        url: url.toString(),
        status,
        headers: res.headers,
        contentType,
        address: pinned.address,
        body: capped.body,
        get truncated() {
          return capped.truncated();
        },
        async read() {
          const chunks: Buffer[] = [];
          for await (const chunk of capped.body) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks);
        },
        close() {
          capped.body.destroy();
        },
      };
    }
  } catch (err) {
    cleanup();
    if (err instanceof SafeFetchError) throw err;
    throw new SafeFetchError('fetch_failed', (err as Error).message);
  }
}

/**
 * Whether the URL plainly leads into a private or reserved network without any lookup: its host
 * is such an address literal, or `localhost` (`*.localhost`), and `outbound.allow_private` does
 * not let it through. Answers what can be answered at no cost; safeFetch still checks everything.
 */
export function plainlyBlocked(input: string, outbound: Pick<OutboundSettings, 'allow_private'>): boolean {
  let host: string;
  try {
    host = bareHost(checkUrl(input)).toLowerCase();
  } catch {
    return false;
  }
  const allow = allowSet(outbound.allow_private);
  if (host === 'localhost' || host.endsWith('.localhost')) return !allow.has('127.0.0.1');
  return net.isIP(host) !== 0 && !isPublicAddress(host) && !allow.has(host);
}

/**
 * The checks safeFetch makes before connecting, without connecting: for URLs stored now and
 * fetched later (outgoing webhooks), so a bad one is refused when it is saved. Throws the
 * SafeFetchError a fetch would (`bad_url`, `blocked_address`, `fetch_failed` when the name does
 * not resolve). The fetch checks again: DNS may answer differently by then.
 */
export async function vetOutboundUrl(
  input: string,
  outbound: Pick<OutboundSettings, 'allow_private' | 'total_timeout_ms'>,
): Promise<void> {
  const url = checkUrl(input);
  const signal = AbortSignal.timeout(outbound.total_timeout_ms);
  await resolveChecked(bareHost(url), allowSet(outbound.allow_private), signal);
}
