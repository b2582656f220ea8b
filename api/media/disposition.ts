const FALLBACK_TYPE = 'application/octet-stream';
const TOKEN = '[A-Za-z0-9!#$&^_.+-]+';
const ESSENCE = new RegExp(`^${TOKEN}/${TOKEN}$`);

/**
 * The Content-Type to serve for a stored type: its own when it is a well-formed media type (with
 * parameters only if they are printable ASCII), otherwise application/octet-stream.
 */
export function servedType(stored: string): string {
  const essence = stored.split(';')[0]?.trim() ?? '';
  if (!ESSENCE.test(essence)) return FALLBACK_TYPE;
  return /^[\x20-\x7e]*$/.test(stored) ? stored : essence;
}

/**
 * Whether browsers may render this type inline: images, video and audio, except SVG (and any
 * other XML-based image), which can carry script.
 */
export function isInlineType(type: string): boolean {
  const essence = (type.split(';')[0] ?? '').trim().toLowerCase();
  if (!/^(image|video|audio)\//.test(essence)) return false;
  return !essence.includes('svg') && !essence.endsWith('+xml');
}

/** `inline` or `attachment`, with the name in both the plain and the RFC 8187 (`filename*`) forms. */
export function contentDisposition(type: string, filename: string): string {
  const kind = isInlineType(type) ? 'inline' : 'attachment';
  // The plain form is for old clients: printable ASCII without quotes or backslashes.
  const plain = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${plain}"; filename*=UTF-8''${encoded}`;
}
