import type { MessageObject } from './presenters/types.js';

/**
 * Gateway intents: what a bot's connection subscribes to, Discord's bits under Plexichat's names
 * (guide: Bots and applications). A bitfield; on the wire a number or a decimal string.
 */
export const Intent = {
  SERVERS: 1 << 0,
  SERVER_MEMBERS: 1 << 1,
  SERVER_MODERATION: 1 << 2,
  SERVER_EMOJIS: 1 << 3,
  SERVER_WEBHOOKS: 1 << 5,
  SERVER_VOICE_STATES: 1 << 7,
  SERVER_PRESENCES: 1 << 8,
  SERVER_MESSAGES: 1 << 9,
  SERVER_MESSAGE_REACTIONS: 1 << 10,
  SERVER_MESSAGE_TYPING: 1 << 11,
  DIRECT_MESSAGES: 1 << 12,
  DIRECT_MESSAGE_REACTIONS: 1 << 13,
  DIRECT_MESSAGE_TYPING: 1 << 14,
  MESSAGE_CONTENT: 1 << 15,
} as const;

export type IntentName = keyof typeof Intent;

/** Every defined bit. */
export const ALL_INTENTS: number = Object.values(Intent).reduce((a, b) => a | b, 0);

/** Intents an application's owner must enable before its bot may ask for them. */
export const PRIVILEGED_INTENTS: number =
  Intent.SERVER_MEMBERS | Intent.SERVER_PRESENCES | Intent.MESSAGE_CONTENT;

/** The privileged intents by name, in bit order (what PATCH /applications takes). */
export const PRIVILEGED_INTENT_NAMES = (Object.keys(Intent) as IntentName[]).filter(
  (name) => (Intent[name] & PRIVILEGED_INTENTS) !== 0,
);

/** The names of the bits set in `bits`, in bit order. */
export function intentNames(bits: number): IntentName[] {
  return (Object.keys(Intent) as IntentName[]).filter((name) => (bits & Intent[name]) !== 0);
}

/** A bitfield from intent names (unknown names are the caller's validation problem). */
export function intentsFromNames(names: readonly string[]): number {
  return names.reduce((bits, name) => bits | (Intent[name as IntentName] ?? 0), 0);
}

/**
 * Parses a handshake's `intents`: a non-negative integer or its decimal string, with known bits
 * only. Null when it is neither.
 */
export function parseIntents(value: unknown): number | null {
  let bits: number;
  if (typeof value === 'number') bits = value;
  else if (typeof value === 'string' && /^\d{1,10}$/.test(value)) bits = Number(value);
  else return null;
  if (!Number.isSafeInteger(bits) || bits < 0 || (bits & ~ALL_INTENTS) !== 0 || bits > ALL_INTENTS) {
    return null;
  }
  return bits;
}

/**
 * Whether a bot may read a message's content without MESSAGE_CONTENT: its own messages, messages
 * in a DM with it, and messages that mention it.
 */
export function contentVisibleWithoutIntent(
  message: Pick<MessageObject, 'author_id' | 'mentions'>,
  botUserId: string,
  isDirect: boolean,
): boolean {
  return isDirect || message.author_id === botUserId || message.mentions.includes(botUserId);
}

/**
 * The message as a bot without MESSAGE_CONTENT sees it: no content, rendering, embeds or
 * attachments; everything else (ids, author, mentions, reactions) stays.
 */
export function withoutContent(message: MessageObject): MessageObject {
  return { ...message, content: '', content_html: '', embeds: [], attachments: [] };
}
