import {
  API_VERSION,
  PLEXICHAT_VERSION,
  compareVersions,
  formatVersion,
  isVersion,
  parseVersion,
  type Version,
} from '../../shared/version.js';

const CHAIN = ['a.1.0-1', 'a.1.0-2', 'a.1.1-1', 'a.2.0-1', 'b.1.0-1', 'r.1.0-1'];

describe('constants', () => {
  it('the running version is a valid version', () => {
    expect(PLEXICHAT_VERSION).toBe('a.1.0-1');
    expect(isVersion(PLEXICHAT_VERSION)).toBe(true);
    expect(API_VERSION).toBe(1);
  });
});

describe('parseVersion and formatVersion', () => {
  it('parses each field', () => {
    expect(parseVersion('a.1.0-1')).toEqual({ stage: 'a', major: 1, minor: 0, build: 1 });
    expect(parseVersion('r.12.30-456')).toEqual({ stage: 'r', major: 12, minor: 30, build: 456 });
    expect(parseVersion('c.2.10-100').stage).toBe('c');
    expect(parseVersion('b.2.10-100').stage).toBe('b');
  });

  it('round-trips through formatVersion', () => {
    for (const s of [...CHAIN, 'c.3.0-7', 'r.100.20-3000']) {
      expect(formatVersion(parseVersion(s))).toBe(s);
    }
  });

  it('formatVersion refuses objects that would not parse back', () => {
    const bad: Version[] = [
      { stage: 'a', major: 0, minor: 0, build: 1 },
      { stage: 'a', major: 1, minor: -1, build: 1 },
      { stage: 'a', major: 1, minor: 0, build: 0 },
      { stage: 'a', major: 1.5, minor: 0, build: 1 },
      { stage: 'a', major: NaN, minor: 0, build: 1 },
      { stage: 'x' as Version['stage'], major: 1, minor: 0, build: 1 },
    ];
    for (const v of bad) expect(() => formatVersion(v)).toThrow(/invalid version/);
  });
});

describe('compareVersions', () => {
  it('orders every pair of the chain, in both directions', () => {
    let pairs = 0;
    for (let i = 0; i < CHAIN.length; i++) {
      for (let j = 0; j < CHAIN.length; j++) {
        const expected = i < j ? -1 : i > j ? 1 : 0;
        const got = compareVersions(CHAIN[i]!, CHAIN[j]!);
        if (got !== expected) throw new Error(`compare(${CHAIN[i]}, ${CHAIN[j]}) = ${got}, want ${expected}`);
        pairs++;
      }
    }
    expect(pairs).toBe(CHAIN.length * CHAIN.length);
  });

  it('sorts a shuffled list into the chain', () => {
    const shuffled = ['b.1.0-1', 'a.1.1-1', 'r.1.0-1', 'a.1.0-2', 'a.2.0-1', 'a.1.0-1'];
    expect(shuffled).not.toEqual(CHAIN);
    expect([...shuffled].sort(compareVersions)).toEqual(CHAIN);
    expect([...CHAIN].reverse().sort(compareVersions)).toEqual(CHAIN);
  });

  it('sorts numerically where text order would differ', () => {
    const numeric = ['a.1.0-9', 'a.1.0-10', 'a.1.9-1', 'a.1.10-1', 'a.9.0-1', 'a.10.0-1'];
    expect([...numeric].sort()).not.toEqual(numeric);
    expect([...numeric].reverse().sort(compareVersions)).toEqual(numeric);
  });

  it('puts candidate between beta and release', () => {
    expect(compareVersions('b.1.0-1', 'c.1.0-1')).toBe(-1);
    expect(compareVersions('c.1.0-1', 'b.1.0-1')).toBe(1);
    expect(compareVersions('c.1.0-1', 'r.1.0-1')).toBe(-1);
    expect(compareVersions('r.1.0-1', 'c.1.0-1')).toBe(1);
    // Stage outranks the numbers after it.
    expect(compareVersions('b.9.9-9', 'c.1.0-1')).toBe(-1);
    expect(compareVersions('c.9.9-9', 'r.1.0-1')).toBe(-1);
  });

  it('compares numbers numerically, not as text', () => {
    expect(compareVersions('a.1.10-1', 'a.1.9-1')).toBe(1);
    expect(compareVersions('a.1.9-1', 'a.1.10-1')).toBe(-1);
    expect(compareVersions('a.1.0-10', 'a.1.0-9')).toBe(1);
    expect(compareVersions('a.1.0-9', 'a.1.0-10')).toBe(-1);
    expect(compareVersions('a.10.0-1', 'a.9.0-1')).toBe(1);
    expect(compareVersions('a.2.0-1', 'a.10.0-1')).toBe(-1);
  });

  it('orders major before minor before build', () => {
    expect(compareVersions('a.2.0-1', 'a.1.9-9')).toBe(1);
    expect(compareVersions('a.1.2-1', 'a.1.1-9')).toBe(1);
  });

  it('reports equality for equal versions, as strings or objects', () => {
    expect(compareVersions('a.1.0-1', 'a.1.0-1')).toBe(0);
    expect(compareVersions('r.3.14-159', parseVersion('r.3.14-159'))).toBe(0);
    expect(compareVersions({ stage: 'b', major: 2, minor: 0, build: 5 }, 'b.2.0-5')).toBe(0);
    expect(compareVersions({ stage: 'b', major: 2, minor: 0, build: 5 }, 'b.2.0-6')).toBe(-1);
  });

  it('rejects invalid operands instead of ordering them', () => {
    expect(() => compareVersions('a.1.0', 'a.1.0-1')).toThrow(/"a\.1\.0"/);
    expect(() => compareVersions('a.1.0-1', { stage: 'a', major: 0, minor: 0, build: 1 })).toThrow(
      /invalid version/,
    );
  });
});

describe('invalid versions', () => {
  it.each([
    ['', /expected \[stage\]/],
    ['a.1.0', /expected \[stage\]/],
    ['x.1.0-1', /stage "x"/],
    ['A.1.0-1', /stage "A"/],
    ['a.0.0-1', /major "0" must be at least 1/],
    ['a.1.0-0', /build "0" must be at least 1/],
    ['a.01.0-1', /major "01" has a leading zero/],
    ['a.1.00-1', /minor "00" has a leading zero/],
    ['a.1.0-01', /build "01" has a leading zero/],
    ['a.1.0-1 ', /build "1 " is not a decimal number/],
    [' a.1.0-1', /stage " a"/],
    ['a.1.0-1-2', /build "1-2" is not a decimal number/],
    ['a.-1.0-1', /major "-1" is not a decimal number/],
    ['a.1.2.3-4', /minor "2.3" is not a decimal number/],
    ['a.1.0-1.5', /build "1.5" is not a decimal number/],
    ['a.1e3.0-1', /major "1e3" is not a decimal number/],
    ['a.1.0-99999999999999999999', /build .* is too large/],
  ])('rejects %j', (bad, why) => {
    expect(isVersion(bad)).toBe(false);
    expect(() => parseVersion(bad)).toThrow(why);
    // The message names the offending string, quoted so stray whitespace is visible.
    expect(() => parseVersion(bad)).toThrow(`invalid version ${JSON.stringify(bad)}:`);
  });

  it('accepts zero as the minor version but nowhere else', () => {
    expect(isVersion('a.1.0-1')).toBe(true);
    expect(isVersion('a.0.1-1')).toBe(false);
    expect(isVersion('a.1.1-0')).toBe(false);
  });
});
