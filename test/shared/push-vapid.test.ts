import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import webpush from 'web-push';
import { ConfigError } from '../../shared/config/index.js';
import { vapidDetails } from '../../shared/push/vapid.js';
import { testConfig } from '../helpers/config.js';

function configError(overrides: Record<string, unknown>): string {
  try {
    testConfig(overrides);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('VAPID keys', () => {
  it('are generated once into data_dir when not configured, and every process reads the same pair', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexichat-vapid-'));
    const first = vapidDetails(testConfig({ data_dir: dataDir }));
    const second = vapidDetails(testConfig({ data_dir: dataDir }));
    expect(second).toEqual(first);
    expect(Buffer.from(first.publicKey, 'base64url')).toHaveLength(65);
    expect(Buffer.from(first.privateKey, 'base64url')).toHaveLength(32);
    expect(fs.statSync(path.join(dataDir, 'vapid.json')).mode & 0o777).toBe(0o600);
    const elsewhere = vapidDetails(
      testConfig({ data_dir: fs.mkdtempSync(path.join(os.tmpdir(), 'plexichat-vapid-')) }),
    );
    expect(elsewhere.publicKey).not.toBe(first.publicKey);
  });

  it('configured keys are used as given; a pair whose halves do not match is refused', () => {
    const pair = webpush.generateVAPIDKeys();
    const details = vapidDetails(
      testConfig({ push: { vapid_public_key: pair.publicKey, vapid_private_key: pair.privateKey } }),
    );
    expect(details).toMatchObject(pair);
    const other = webpush.generateVAPIDKeys();
    const mismatched = testConfig({
      push: { vapid_public_key: other.publicKey, vapid_private_key: pair.privateKey },
    });
    expect(() => vapidDetails(mismatched)).toThrow(/push.vapid_public_key is not the public key/);
  });

  it('the subject: configured, else the https public URL, else a mailto placeholder', () => {
    expect(vapidDetails(testConfig({ push: { vapid_subject: 'mailto:ops@example.com' } })).subject).toBe(
      'mailto:ops@example.com',
    );
    expect(vapidDetails(testConfig({ server: { public_url: 'https://chat.example.com/app' } })).subject).toBe(
      'https://chat.example.com',
    );
    expect(vapidDetails(testConfig({ server: { public_url: 'http://chat.example.com' } })).subject).toBe(
      'mailto:admin@localhost',
    );
  });

  it('bad push settings stop the boot with a message naming the key', () => {
    const pair = webpush.generateVAPIDKeys();
    expect(configError({ push: { vapid_public_key: pair.publicKey } })).toMatch(
      /push.vapid_public_key" and "push.vapid_private_key" must be set together/,
    );
    expect(configError({ push: { vapid_public_key: 'abc', vapid_private_key: pair.privateKey } })).toMatch(
      /push.vapid_public_key" must be a 65-byte P-256 public key/,
    );
    expect(
      configError({ push: { vapid_public_key: pair.publicKey, vapid_private_key: `${pair.privateKey}=` } }),
    ).toMatch(/push.vapid_private_key" must be a 32-byte/);
    expect(configError({ push: { vapid_subject: 'http://example.com' } })).toMatch(/push.vapid_subject/);
    expect(configError({ push: { ttl_seconds: -1 } })).toMatch(/push.ttl_seconds/);
    expect(configError({ push: { urgency: 'asap' } })).toMatch(/push.urgency/);
    expect(configError({ push: { max_subscriptions_per_user: 0 } })).toMatch(
      /push.max_subscriptions_per_user/,
    );
  });
});
