import path from 'node:path';
import { oneOf, trimWhere } from '../../shared/text.js';

/** Characters of a client's filename looked at, at most (the rest is dropped unread). */
export const MAX_RAW_FILENAME = 1024;

/**
 * A filename safe to show and to put in Content-Disposition: the last path segment only, no
 * control or reserved characters, at most 200 characters; its extension is the real type's
 * (`ext`, from the sniffed bytes) when that is known, whatever the client claimed.
 */
export function sanitizeFilename(raw: string, ext: string | null): string {
  // Bounded before any other work: no filesystem keeps a longer name, and what is kept is 200.
  const base = (raw.split(/[\\/]/).pop() ?? '').slice(0, MAX_RAW_FILENAME);
  let name = base
    .normalize('NFC')
    // Control characters, and what filesystems and headers treat specially.
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f<>:"|?*;]/g, '')
    .replace(/\s+/g, ' ');
  name = trimWhere(name, oneOf(' .'));
  const current = path.extname(name).slice(1).toLowerCase();
  let stem = current ? name.slice(0, -(current.length + 1)) : name;
  if (!stem) stem = 'file';
  const finalExt = ext ?? (current && /^[a-z0-9]{1,10}$/.test(current) ? current : '');
  stem = [...stem].slice(0, 200 - finalExt.length - 1).join('');
  name = finalExt ? `${stem}.${finalExt}` : stem;
  return name;
}

/** The filename as it may appear in a storage key ([A-Za-z0-9._-] only). */
export function keySafeName(name: string): string {
  // Cut first, then drop leading dots: a key segment may not start with one.
  const safe = trimWhere(name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-100), oneOf('._-'), 'start');
  return safe || 'file';
}
