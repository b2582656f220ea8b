import type { Runtime } from '../../shared/runtime.js';
import { isSnowflake } from '../../shared/snowflake.js';

/** A custom emoji as routes take it: `name:id`, name 2-32 of [A-Za-z0-9_], id a snowflake. */
const CUSTOM_EMOJI = /^[A-Za-z0-9_]{2,32}:\d{1,19}$/;

/**
 * Every code point of a unicode emoji sequence: pictographs, their components (ZWJ, variation
 * selectors, skin tones, keycap bases and U+20E3, regional indicators, tags).
 */
// One class, not an alternation: a digit is both Emoji and Emoji_Component, and `(?:a|b)+` over
// such characters backtracks exponentially before refusing a trailing letter.
const EMOJI_CODE_POINTS = /^[\p{Emoji}\p{Emoji_Component}\p{Extended_Pictographic}]+$/u;

/** What makes a sequence an emoji rather than digits or `#`: a pictograph, a flag letter or a keycap. */
const EMOJI_ANCHOR = /[\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3]/u;

/** The longest unicode emoji accepted, in code points (family and flag sequences run to ~10). */
export const MAX_EMOJI_CODE_POINTS = 64;

/**
 * Why `value` (already URL-decoded) is not a reaction emoji ("must ..."), or null when it is one. A unicode
 * emoji must be a sequence of emoji code points, 1-64 of them, with at least one pictograph,
 * regional indicator or keycap: so no whitespace, control characters, letters or punctuation.
 * It is not checked against a list of emoji (a sequence no font draws is accepted, as a client
 * with a newer emoji set would send). A custom emoji is `name:id`; whether it exists is
 * customEmojiUsable's question.
 */
export function emojiProblem(value: string): string | null {
  if (value.includes(':')) {
    return CUSTOM_EMOJI.test(value)
      ? null
      : 'must be a custom emoji as name:id (name: 2-32 letters, digits or _; id: a snowflake)';
  }
  const length = [...value].length;
  if (length === 0 || length > MAX_EMOJI_CODE_POINTS) {
    return `must be a unicode emoji of 1-${MAX_EMOJI_CODE_POINTS} code points`;
  }
  if (!EMOJI_CODE_POINTS.test(value) || !EMOJI_ANCHOR.test(value)) {
    return 'must be a unicode emoji or a custom emoji as name:id';
  }
  return null;
}

/** The emoji in a form job ids may hold (BullMQ ids cannot contain `:`). */
export function emojiJobKey(emoji: string): string {
  return Buffer.from(emoji, 'utf8').toString('base64url');
}

/**
 * Whether a custom emoji `name:id` may be used where `serverId` is (a server channel's server, or
 * null in DMs): an emoji of that server (in DMs: of any server) whose current name is `name`.
 * Unicode emoji are always usable.
 */
export async function customEmojiUsable(
  rt: Pick<Runtime, 'models'>,
  emoji: string,
  serverId: string | null,
): Promise<boolean> {
  const match = /^([A-Za-z0-9_]{2,32}):(\d{1,19})$/.exec(emoji);
  if (!match) return !emoji.includes(':');
  if (!isSnowflake(match[2] as string)) return false;
  const row = await rt.models.Emoji.findOne({
    where: { id: match[2] as string, ...(serverId ? { server_id: serverId } : {}) },
    attributes: ['name'],
  });
  return row !== null && row.name === match[1];
}
