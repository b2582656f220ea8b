// What a message refers to, read from the same parse that renders it: tokens inside inline code
// and code blocks are never chat tokens, so they are neither rendered nor extracted.
import type { Token } from 'markdown-it';
import { CHAT_TOKEN, md } from './parser.js';
import type { ChatToken } from './parser.js';

export interface ExtractedMentions {
  users: string[];
  roles: string[];
  channels: string[];
  /** `@everyone` or `@here` appears outside code. */
  everyone: boolean;
  /** Only `@here` (no `@everyone`): it reaches those online. */
  hereOnly: boolean;
  emojis: { name: string; id: string; animated: boolean }[];
}

/** At most this many distinct ids of each kind are returned. */
export const MAX_MENTIONS_PER_KIND = 100;

function* chatTokens(tokens: Token[]): Generator<ChatToken> {
  for (const token of tokens) {
    if (token.type === CHAT_TOKEN && token.meta) yield token.meta as ChatToken;
    if (token.children) yield* chatTokens(token.children);
  }
}

/** Distinct mentions, channel references and custom emoji, in order of first appearance. */
export function extractMentions(content: string): ExtractedMentions {
  const out: ExtractedMentions = {
    users: [],
    roles: [],
    channels: [],
    everyone: false,
    hereOnly: false,
    emojis: [],
  };
  let atEveryone = false;
  const seen = { users: new Set<string>(), roles: new Set<string>(), channels: new Set<string>() };
  const seenEmojis = new Set<string>();
  const add = (kind: 'users' | 'roles' | 'channels', id: string): void => {
    if (seen[kind].has(id) || out[kind].length >= MAX_MENTIONS_PER_KIND) return;
    seen[kind].add(id);
    out[kind].push(id);
  };
  for (const t of chatTokens(md.parse(content, {}))) {
    switch (t.kind) {
      case 'user':
        add('users', t.id);
        break;
      case 'role':
        add('roles', t.id);
        break;
      case 'channel':
        add('channels', t.id);
        break;
      case 'emoji':
        if (!seenEmojis.has(t.id) && out.emojis.length < MAX_MENTIONS_PER_KIND) {
          seenEmojis.add(t.id);
          out.emojis.push({ name: t.name, id: t.id, animated: t.animated });
        }
        break;
      case 'everyone':
        out.everyone = true;
        if (t.which === 'everyone') atEveryone = true;
        break;
    }
  }
  out.hereOnly = out.everyone && !atEveryone;
  return out;
}
