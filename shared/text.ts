/**
 * `value` without its leading and/or trailing characters for which `strip` holds. Linear time
 * whatever the input, unlike `/^[x]+|[x]+$/g` and `/[x]+$/`, which V8 retries from every position
 * of a long run that does not reach the end: quadratic on untrusted names.
 */
export function trimWhere(
  value: string,
  strip: (char: string) => boolean,
  sides: 'both' | 'start' | 'end' = 'both',
): string {
  let start = 0;
  let end = value.length;
  if (sides !== 'end') while (start < end && strip(value.charAt(start))) start++;
  if (sides !== 'start') while (end > start && strip(value.charAt(end - 1))) end--;
  return value.slice(start, end);
}

/** A strip predicate for trimWhere: the characters of `chars`. */
export const oneOf =
  (chars: string) =>
  (char: string): boolean =>
    chars.includes(char);

/**
 * `value` cut to at most `max` UTF-16 units without splitting a surrogate pair: a plain slice can
 * keep the first half of an emoji, which Postgres then stores as U+FFFD.
 */
export function truncateText(value: string, max: number): string {
  if (value.length <= max) return value;
  const last = value.charCodeAt(max - 1);
  return value.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
