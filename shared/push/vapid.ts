import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import webpush from 'web-push';
import type { Config } from '../config/index.js';

type VapidConfig = Pick<Config, 'push' | 'server' | 'data_dir'>;

/** The application server's identity towards push services (RFC 8292). */
export interface VapidDetails {
  subject: string;
  /** base64url, 65-byte uncompressed P-256 point: what browsers get as applicationServerKey. */
  publicKey: string;
  /** base64url, 32 bytes. */
  privateKey: string;
}

/** Whether `pair` is a usable P-256 key pair whose halves belong together. */
function isKeyPair(pair: { publicKey?: unknown; privateKey?: unknown }): pair is {
  publicKey: string;
  privateKey: string;
} {
  if (typeof pair.publicKey !== 'string' || typeof pair.privateKey !== 'string') return false;
  try {
    const ecdh = crypto.createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(pair.privateKey, 'base64url'));
    return ecdh.getPublicKey().equals(Buffer.from(pair.publicKey, 'base64url'));
  } catch {
    return false;
  }
}

/**
 * The configured key pair, or, when none is configured, one generated once into
 * data_dir/vapid.json (fine on one machine; several hosts must configure the same pair, or each
 * would sign with a key the browsers never subscribed with).
 */
function loadKeyPair(config: VapidConfig): { publicKey: string; privateKey: string } {
  const { vapid_public_key: publicKey, vapid_private_key: privateKey } = config.push;
  if (publicKey && privateKey) {
    if (!isKeyPair({ publicKey, privateKey })) {
      throw new Error('push.vapid_public_key is not the public key of push.vapid_private_key');
    }
    return { publicKey, privateKey };
  }
  const file = path.join(config.data_dir, 'vapid.json');
  fs.mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  try {
    // 'wx': only the first process to get here writes it; the others read what it wrote.
    fs.writeFileSync(file, JSON.stringify(webpush.generateVAPIDKeys()), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { publicKey?: unknown; privateKey?: unknown };
  if (!isKeyPair(stored)) throw new Error(`${file} does not hold a VAPID key pair; delete it to regenerate`);
  return { publicKey: stored.publicKey, privateKey: stored.privateKey };
}

/** push.vapid_subject, else the https public URL, else a placeholder address push services accept. */
function subjectOf(config: VapidConfig): string {
  if (config.push.vapid_subject) return config.push.vapid_subject;
  const publicUrl = config.server.public_url;
  if (publicUrl?.startsWith('https://')) return new URL(publicUrl).origin;
  return 'mailto:admin@localhost';
}

const cache = new WeakMap<VapidConfig, VapidDetails>();

/** The VAPID subject and keys of this instance (read or generated once per configuration object). */
export function vapidDetails(config: VapidConfig): VapidDetails {
  let details = cache.get(config);
  if (!details) {
    details = { subject: subjectOf(config), ...loadKeyPair(config) };
    cache.set(config, details);
  }
  return details;
}
