import type { ByteRange } from '../../shared/storage/types.js';

/** What a Range header asks of an object of a known size (RFC 9110 §14.2, single ranges only). */
export type RangeRequest = { kind: 'none' } | { kind: 'range'; range: ByteRange } | { kind: 'unsatisfiable' };

const SPEC = /^(\d*)-(\d*)$/;

/**
 * Parses `Range` against `size`. Anything we do not serve as a range is `none` (answer 200 with the
 * whole object): no header, another unit, a malformed header, several ranges (multipart/byteranges
 * buys clients little and costs a body format). `unsatisfiable` is a 416.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: 'none' };
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'none' };
  const spec = header.slice(eq + 1).trim();
  if (spec.includes(',')) return { kind: 'none' };
  const match = SPEC.exec(spec);
  if (!match) return { kind: 'none' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'none' };
  if (first === '') {
    // Suffix range: the last N bytes (all of them when N exceeds the size).
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  // `last < first` is invalid syntax (ignored); a valid range starting past the end is a 416.
  if (last !== '' && Number(last) < start) return { kind: 'none' };
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: 'range', range: { start, end } };
}

/** The entity tags of an If-None-Match / If-Range list (`*` stays `*`). */
function entityTags(header: string): string[] {
  return header.split(',').map((tag) => tag.trim());
}

function weakEquals(a: string, b: string): boolean {
  return a.replace(/^W\//, '') === b.replace(/^W\//, '');
}

/** Whether the client's cached copy is current (If-None-Match, else If-Modified-Since): answer 304. */
export function isNotModified(
  headers: { 'if-none-match'?: string; 'if-modified-since'?: string },
  etag: string,
  lastModified: Date,
): boolean {
  const noneMatch = headers['if-none-match'];
  if (noneMatch !== undefined) {
    return entityTags(noneMatch).some((tag) => tag === '*' || weakEquals(tag, etag));
  }
  const since = headers['if-modified-since'];
  if (since === undefined) return false;
  const date = Date.parse(since);
  // HTTP dates have whole seconds; the stored time may not.
  return !Number.isNaN(date) && Math.floor(lastModified.getTime() / 1000) * 1000 <= date;
}

/** Whether a Range request still applies under If-Range (the validator must match exactly). */
export function ifRangeAllows(header: string | undefined, etag: string, lastModified: Date): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === etag && !etag.startsWith('W/');
  const date = Date.parse(value);
  return !Number.isNaN(date) && Math.floor(lastModified.getTime() / 1000) * 1000 === date;
}
