import { usernameBase } from '../../../shared/domain/applications/bot-username.js';

describe('usernameBase', () => {
  it('an application name becomes a username base, without edge dots or underscores', () => {
    expect(usernameBase('  My Cool Bot!! ')).toBe('My_Cool_Bot');
    expect(usernameBase('._.')).toBe('bot');
    expect(usernameBase(`${'a'.repeat(25)}.._x`)).toBe('a'.repeat(25));
  });

  it('adversarial runs cost linear time', () => {
    // A 1 MB name of dots and spaces: the former /^[_.]+|[_.]+$/g took hours.
    expect(usernameBase(`ab${'. '.repeat(500_000)}cd`)).toBe('ab');
  });
});
