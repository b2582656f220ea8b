import { usernameFrom } from '../../../shared/domain/accounts/external-sign-in.js';
import type { ExternalProfile } from '../../../api/external-auth/providers.js';

const profile = (fields: Partial<ExternalProfile>): ExternalProfile => ({
  subject: 's',
  email: null,
  emailVerified: false,
  preferredUsername: null,
  name: null,
  ...fields,
});

describe('usernameFrom', () => {
  it('cleans what the provider said, falling back to the name and the email', () => {
    expect(usernameFrom(profile({ preferredUsername: '__alice..' }))).toBe('alice');
    expect(usernameFrom(profile({ preferredUsername: '..', name: 'Bob Smith' }))).toBe('Bob_Smith');
    expect(usernameFrom(profile({ email: 'carol@example.com' }))).toBe('carol');
  });

  it('a provider’s 1 MB name of dots and spaces costs linear time (the former edge pattern took hours)', () => {
    expect(usernameFrom(profile({ preferredUsername: `ab${'. '.repeat(500_000)}cd` }))).toBe(
      `ab${'._'.repeat(15)}`,
    );
  });
});
