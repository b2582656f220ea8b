import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';

type KeyConfig = Pick<Config, 'security' | 'data_dir'>;

/**
 * The instance secret: `security.secret_key`, or, when unset, 32 random bytes generated once into
 * data_dir/secret.key (fine on one machine; several hosts must share a configured key).
 */
export function loadSecretKey(config: KeyConfig): Buffer {
  if (config.security.secret_key) return Buffer.from(config.security.secret_key, 'base64');
  const file = path.join(config.data_dir, 'secret.key');
  fs.mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  try {
    // 'wx': only the first process to get here writes it; the others read what it wrote.
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
}

const derived = new WeakMap<KeyConfig, Map<string, Buffer>>();

/**
 * A 32-byte key for one purpose (`label`), derived from the instance secret with HKDF-SHA256, so
 * that no two uses (TOTP encryption, media proxy signatures...) ever share key material.
 * Cached per configuration object.
 */
export function deriveKey(config: KeyConfig, label: string): Buffer {
  let keys = derived.get(config);
  if (!keys) {
    keys = new Map();
    derived.set(config, keys);
  }
  let key = keys.get(label);
  if (!key) {
    key = Buffer.from(
      crypto.hkdfSync('sha256', loadSecretKey(config), Buffer.alloc(0), `plexichat:${label}`, 32),
    );
    keys.set(label, key);
  }
  return key;
}
