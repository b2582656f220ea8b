import { hashPassword, needsRehash, verifyPassword } from '../../../shared/auth/password.js';
import { testConfig } from '../../helpers/config.js';
import { loadConfig } from '../../../shared/config/index.js';

describe('password hashing', () => {
  it('defaults to at least OWASP’s scrypt parameters (N = 2^17, r = 8, p = 1), which Node can run', async () => {
    const cost = loadConfig({ env: {}, overrides: { mode: 'test' } }).security.scrypt_cost;
    expect(cost).toBeGreaterThanOrEqual(17);
    const hash = await hashPassword('correct horse battery', cost);
    expect(hash).toMatch(new RegExp(`^scrypt\\$${cost}\\$8\\$1\\$`));
    await expect(verifyPassword('correct horse battery', hash)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', hash)).resolves.toBe(false);
    expect(needsRehash(hash, cost)).toBe(false);
  });

  it('asks for a rehash of weaker or foreign hashes only', async () => {
    const cost = testConfig().security.scrypt_cost;
    const weak = await hashPassword('pw pw pw pw', cost - 1);
    expect(needsRehash(weak, cost)).toBe(true);
    expect(needsRehash(await hashPassword('pw pw pw pw', cost), cost)).toBe(false);
    expect(needsRehash('bcrypt$whatever', cost)).toBe(true);
    // A tampered row cannot ask for absurd memory: it just does not verify.
    await expect(verifyPassword('x', 'scrypt$30$8$1$AAAA$AAAA')).resolves.toBe(false);
  });
});
