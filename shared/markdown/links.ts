// Links a message shows a preview for, read from the same parse that renders it: nothing inside a
// code span or code block is a link, and `<https://...>` (an autolink) is how a Discord user
// says "no preview for this one".
import type { Token } from 'markdown-it';
import { md } from './parser.js';

/** Most links of one message that get a preview. */
export const MAX_PREVIEW_LINKS = 5;

function* linkTokens(tokens: Token[]): Generator<Token> {
  for (const token of tokens) {
    if (token.type === 'link_open') yield token;
    if (token.children) yield* linkTokens(token.children);
  }
}

/**
 * The distinct http(s) links of `content` that should be previewed, in order of appearance, at
 * most `max`: bare URLs and masked links `[text](url)`, but not `<url>` and nothing in code.
 */
export function extractPreviewLinks(content: string, max = MAX_PREVIEW_LINKS): string[] {
  const links: string[] = [];
  for (const token of linkTokens(md.parse(content, {}))) {
    if (links.length >= max) break;
    if (token.markup === 'autolink') continue;
    const href = String(token.attrGet('href') ?? '');
    if (!href || !/^https?:\/\//i.test(href) || links.includes(href)) continue;
    links.push(href);
  }
  return links;
}

/**
 * Every distinct http(s) link of `content` outside code, `<url>` autolinks included (what AutoMod
 * screens: hiding a link from previews must not hide it from moderation).
 */
export function extractLinks(content: string): string[] {
  const links = new Set<string>();
  for (const token of linkTokens(md.parse(content, {}))) {
    const href = String(token.attrGet('href') ?? '');
    if (/^https?:\/\//i.test(href)) links.add(href);
  }
  return [...links];
}
