import type { Runtime } from '../runtime.js';

/** The storage key behind a URL made by mediaUrl (any origin), or null for any other URL. */
export function keyFromMediaUrl(url: string | null): string | null {
  if (!url) return null;
  const at = url.indexOf('/api/v1/media/');
  if (at < 0) return null;
  try {
    return url
      .slice(at + '/api/v1/media/'.length)
      .split('/')
      .map(decodeURIComponent)
      .join('/');
  } catch {
    return null;
  }
}

/**
 * The storage keys of a picture stored by storeRenditions, found from its WebP URL, when that URL
 * points under `prefix` (an avatar_url set by hand to some other object is never followed).
 */
export function renditionKeys(url: string | null, prefix: string): string[] {
  const key = keyFromMediaUrl(url);
  if (!key || !key.startsWith(prefix) || !key.endsWith('.webp')) return [];
  const stem = key.slice(0, -'.webp'.length);
  return [key, `${stem}.png`, `${stem}.gif`];
}

/**
 * Deletes a picture stored by storeRenditions at once (renditionKeys), best effort: for files no
 * row names (an upload whose command failed). A replaced picture goes with its command instead
 * (row-files.ts deleteFilesAfterCommit).
 */
export async function deleteRenditions(
  rt: Pick<Runtime, 'storage' | 'logger'>,
  url: string | null,
  prefix: string,
): Promise<void> {
  for (const k of renditionKeys(url, prefix)) {
    await rt.storage.delete(k).catch((err: unknown) => {
      // An orphaned file is harmless; failing the request that replaced it would not be.
      rt.logger.warn({ err: (err as Error).message, key: k }, 'could not delete old picture');
    });
  }
}
