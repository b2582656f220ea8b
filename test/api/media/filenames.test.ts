import { MAX_RAW_FILENAME, keySafeName, sanitizeFilename } from '../../../api/media/filenames.js';

describe('sanitizeFilename', () => {
  it('keeps the last segment, drops reserved characters and edge dots and spaces, and trusts the sniffed type', () => {
    expect(sanitizeFilename('../../etc/pass<wd>.txt', 'txt')).toBe('passwd.txt');
    expect(sanitizeFilename('  .hidden name . ', null)).toBe('hidden name');
    expect(sanitizeFilename('notes.txt', 'png')).toBe('notes.png');
    expect(sanitizeFilename('...', null)).toBe('file');
  });

  it('adversarial names cost linear time: a 1 MB run of spaces and dots, with and without an end', () => {
    // The former /^[\s.]+|[\s.]+$/g spent ~180 ms on 16 KB and grows with the square: hours here.
    const run = ' .'.repeat(500_000);
    // Cut at MAX_RAW_FILENAME, the rest of the run is trimmed off the end.
    expect(sanitizeFilename(`a${run}b.txt`, 'txt')).toBe('a.txt');
    expect(sanitizeFilename(`${run}x`, null)).toBe('file');
    expect(sanitizeFilename(`${'\t'.repeat(1_000_000)}y.png`, 'png')).toBe('file.png');
    // Only the first MAX_RAW_FILENAME characters are looked at; at most 200 are kept.
    const long = sanitizeFilename(`${'n'.repeat(MAX_RAW_FILENAME * 4)}.txt`, 'txt');
    expect([...long].length).toBeLessThanOrEqual(200);
    expect(long.endsWith('.txt')).toBe(true);
  });
});

describe('keySafeName', () => {
  it('keeps key characters only, without leading dots, in linear time', () => {
    expect(keySafeName('..a b.png')).toBe('a_b.png');
    expect(keySafeName(`${'.'.repeat(1_000_000)}`)).toBe('file');
  });
});
