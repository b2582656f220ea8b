import crypto from 'node:crypto';
import type { Config } from '../config/index.js';
import { deriveKey, loadSecretKey } from './secret-key.js';

/**
 * Encrypts small secrets at rest (TOTP secrets) with AES-256-GCM. The key is `security.secret_key`,
 * or, when unset, one generated once into data_dir/secret.key (fine on one machine; several hosts
 * must share a configured key).
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** The box for this configuration. */
  static fromConfig(config: Pick<Config, 'security' | 'data_dir'>): SecretBox {
    // The raw key, not a derived one: secrets sealed before key derivation existed must still open.
    return new SecretBox(loadSecretKey(config));
  }

  /**
   * A box for one purpose, keyed by `deriveKey(config, label)`: for secrets first sealed after key
   * derivation existed, so that nothing sealed for one purpose opens under another.
   */
  static forPurpose(config: Pick<Config, 'security' | 'data_dir'>, label: string): SecretBox {
    return new SecretBox(deriveKey(config, label));
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
