import { oneOf, trimWhere, truncateText } from '../../shared/text.js';

describe('trimWhere', () => {
  it('trims either end or both, and keeps what is inside', () => {
    const dots = oneOf('. ');
    expect(trimWhere(' . a . b . ', dots)).toBe('a . b');
    expect(trimWhere('..a..', dots, 'start')).toBe('a..');
    expect(trimWhere('..a..', dots, 'end')).toBe('..a');
    expect(trimWhere('....', dots)).toBe('');
    expect(trimWhere('', dots)).toBe('');
  });

  it('takes linear time on the runs that make /^[x]+|[x]+$/g quadratic (a 2 MB run, then a stop)', () => {
    // /[ .]+$/ retries from each of the 2 million positions: hours. This walks the run once.
    const evil = `a${' .'.repeat(1_000_000)}b`;
    expect(trimWhere(evil, oneOf(' .'))).toBe(evil);
    expect(trimWhere(`${'='.repeat(2_000_000)}x`, oneOf('='), 'end')).toHaveLength(2_000_001);
  });
});

describe('truncateText', () => {
  it('cuts to the limit but never through a surrogate pair', () => {
    expect(truncateText('abcdef', 4)).toBe('abcd');
    expect(truncateText('abc', 4)).toBe('abc');
    // '😀' is two UTF-16 units: a cut between them drops the half instead of keeping it.
    expect(truncateText('abc😀d', 4)).toBe('abc');
    expect(truncateText('abc😀d', 5)).toBe('abc😀');
    expect(truncateText('😀😀', 3).isWellFormed()).toBe(true);
  });
});
