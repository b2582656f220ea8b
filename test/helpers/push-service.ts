import crypto from 'node:crypto';
import type http from 'node:http';
import ece from 'http_ece';
import { startLocalServer, type LocalServer } from './http-server.js';

/** One POST the push service received for a device, decrypted when the device accepted it. */
export interface PushRequest {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The decrypted JSON payload (only for answers 2xx; null if it would not decrypt). */
  payload: Record<string, unknown> | null;
  /** Why decryption failed, when it did. */
  decryptError: string | null;
}

/** A browser's subscription as the service knows it: its keys and what it received. */
export interface PushDevice {
  endpoint: string;
  /** The body for POST /users/@me/push-subscriptions. */
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
  /** Statuses to answer with, in order; 201 once they run out. */
  answers: number[];
  requests: PushRequest[];
  /** Accepted (2xx) requests. */
  readonly delivered: PushRequest[];
  /** Resolves once `count` requests were accepted. */
  waitForDeliveries(count?: number): Promise<PushRequest[]>;
}

/** A local stand-in for a push service (FCM, Mozilla autopush...) on 127.0.0.1. */
export interface FakePushService {
  server: LocalServer;
  /** A new device: a real P-256 key pair and auth secret, with an endpoint on this service. */
  device(answers?: number[]): PushDevice;
  close(): Promise<void>;
}

/**
 * Starts the service. Each POST to a device's path is answered with its next status; accepted
 * bodies are decrypted with the device's private key (aes128gcm, as a browser would) and parsed.
 */
export async function startFakePushService(): Promise<FakePushService> {
  const devices = new Map<
    string,
    { device: PushDevice; ecdh: crypto.ECDH; auth: Buffer; waiters: (() => void)[] }
  >();
  const server = await startLocalServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = devices.get(req.url ?? '');
      if (!entry || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const { device, ecdh, auth } = entry;
      const status = device.answers.shift() ?? 201;
      const body = Buffer.concat(chunks);
      const request: PushRequest = { status, headers: req.headers, body, payload: null, decryptError: null };
      if (status >= 200 && status < 300) {
        try {
          const plain = ece.decrypt(body, { version: 'aes128gcm', privateKey: ecdh, authSecret: auth });
          request.payload = JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
        } catch (err) {
          request.decryptError = (err as Error).message;
        }
      }
      device.requests.push(request);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? '' : `status ${status}`);
      for (const wake of entry.waiters.splice(0)) wake();
    });
  });
  return {
    server,
    device(answers = []) {
      const ecdh = crypto.createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = crypto.randomBytes(16);
      const path = `/push/${crypto.randomBytes(12).toString('hex')}`;
      const endpoint = `${server.origin}${path}`;
      const waiters: (() => void)[] = [];
      const device: PushDevice = {
        endpoint,
        subscription: {
          endpoint,
          keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
        },
        answers,
        requests: [],
        get delivered() {
          return this.requests.filter((r) => r.status >= 200 && r.status < 300);
        },
        async waitForDeliveries(count = 1) {
          while (device.delivered.length < count) {
            await new Promise<void>((resolve) => waiters.push(resolve));
          }
          return device.delivered;
        },
      };
      devices.set(path, { device, ecdh, auth, waiters });
      return device;
    },
    close: () => server.close(),
  };
}

/** The claims of a VAPID `Authorization: vapid t=<jwt>, k=<key>` header, after checking its ES256 signature with `k`. */
export function verifyVapid(header: string | undefined): { key: string; claims: Record<string, unknown> } {
  const m = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? '');
  if (!m) throw new Error(`not a VAPID authorization header: ${header}`);
  const [, jwt, key] = m as unknown as [string, string, string];
  const [head, claims, signature] = jwt.split('.') as [string, string, string];
  const point = Buffer.from(key, 'base64url');
  const publicKey = crypto.createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const valid = crypto.verify(
    'sha256',
    Buffer.from(`${head}.${claims}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!valid) throw new Error('the VAPID JWT signature does not verify');
  const header_ = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
  if (header_.alg !== 'ES256') throw new Error(`VAPID JWT alg ${header_.alg}`);
  return {
    key,
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}
