import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';

/**
 * Encrypts small secrets at rest (TOTP secrets) with AES-256-GCM. The key is `security.secret_key`,
 * or, when unset, one generated once into data_dir/secret.key (fine on one machine; several hosts
 * must share a configured key).
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** The box for this configuration. */
  static fromConfig(config: Pick<Config, 'security' | 'data_dir'>): SecretBox {
    if (config.security.secret_key) return new SecretBox(Buffer.from(config.security.secret_key, 'base64'));
    const file = path.join(config.data_dir, 'secret.key');
    fs.mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
    try {
      // 'wx': only the first process to get here writes it; the others read what it wrote.
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return new SecretBox(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64'));
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  seal(plaintext: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** The plaintext of `sealed`; throws when it was tampered with or sealed under another key. */
  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('malformed sealed secret');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}
