import { decodePercentEncoded, inputProblems, urlencodedProblems } from '../../shared/input-limits.js';

describe('decodePercentEncoded', () => {
  it('decodes escapes that spell UTF-8, keeping a % that starts no escape', () => {
    expect(decodePercentEncoded('caf%C3%A9%20%E6%BC%A2%F0%9F%98%80')).toBe('café 漢😀');
    expect(decodePercentEncoded('100%')).toBe('100%');
    expect(decodePercentEncoded('%zz%E2%82%AC%4')).toBe('%zz€%4');
    expect(decodePercentEncoded('%EF%BF%BD')).toBe('\ufffd');
    expect(decodePercentEncoded('plain+text')).toBe('plain+text');
  });

  it('is null for escapes that are not UTF-8', () => {
    // Not UTF-8 bytes at all, a lone continuation, a cut sequence, an encoded surrogate, overlong forms.
    for (const bad of [
      '%FF',
      '%80',
      '%C3',
      'a%E2%82b',
      '%ED%A0%80',
      '%C0%AF',
      '%F0%82%82%AC',
      '%F4%90%80%80',
    ]) {
      expect({ bad, decoded: decodePercentEncoded(bad) }).toEqual({ bad, decoded: null });
    }
    // A stray % does not hide a bad escape next to it.
    expect(decodePercentEncoded('%%FF')).toBeNull();
  });

  it('takes linear time on long runs of % and of escapes', () => {
    expect(decodePercentEncoded(`${'%'.repeat(1_000_000)}%FF`)).toBeNull();
    expect(decodePercentEncoded('%C3%A9'.repeat(200_000))).toHaveLength(200_000);
    expect(urlencodedProblems(`a=${'%%2'.repeat(300_000)}`, 'query')).toBeNull();
  });
});

describe('urlencodedProblems', () => {
  it('names the key of each bad value once, a bad key as the root', () => {
    expect(urlencodedProblems('a=1&content=%FF&content=ok%C3&b=%E2%82%AC', 'query')).toEqual({
      content: expect.stringContaining('not UTF-8'),
    });
    expect(Object.keys(urlencodedProblems('%FF=1&x=%C3', 'query') ?? {})).toEqual(['query', 'x']);
    // A key is named as decoded (`+` is a space); a value with no key names the root.
    expect(Object.keys(urlencodedProblems('my+key%21=%FF', 'body') ?? {})).toEqual(['my key!']);
    expect(Object.keys(urlencodedProblems('=%FF', 'body') ?? {})).toEqual(['body']);
  });

  it('is null for well-formed text, stray % included', () => {
    for (const ok of ['', 'a=1', 'q=caf%C3%A9&x=100%&y=%zz', 'flag', 'a=%EF%BF%BD', '%E2%82%AC=1']) {
      expect({ ok, problems: urlencodedProblems(ok, 'query') }).toEqual({ ok, problems: null });
    }
  });

  it('reads at most the 1000 parameters a parser reads', () => {
    const many = `${'a=1&'.repeat(1000)}late=%FF`;
    expect(urlencodedProblems(many, 'query')).toBeNull();
    expect(urlencodedProblems(`early=%FF&${many}`, 'query')).toEqual({ early: expect.any(String) });
  });

  it('agrees with inputProblems on how a field is named', () => {
    expect(Object.keys(inputProblems({ content: '\ud800' }, 'query') ?? {})).toEqual(['content']);
    expect(Object.keys(urlencodedProblems('content=%ED%A0%80', 'query') ?? {})).toEqual(['content']);
  });
});
