// Chat Markdown to safe HTML. Safety rests on three things: markdown-it never passes raw HTML
// through (`html: false`, no html rules enabled), every text and attribute value goes through
// escapeHtml, and links pass an allow-list of schemes (parser.ts) or stay text.
import type { Env, RendererRule, Token } from 'markdown-it';
import { CHAT_TOKEN, md } from './parser.js';
import type { ChatToken } from './parser.js';

/** Names for the ids a message refers to, looked up by id; what is missing renders as unknown. */
export interface RenderContext {
  users?: Map<string, string>;
  roles?: Map<string, string>;
  channels?: Map<string, string>;
  /** Whether `@everyone` / `@here` render as mentions (the author may use them); else plain text. */
  mentionEveryone?: boolean;
  /** Where custom emoji images live; `/media/emojis` by default. */
  emojiBaseUrl?: string;
  /**
   * Image URLs of the custom emoji that may appear, by id. When given, it decides: an emoji not in
   * it renders as its `:name:` text; when absent, every emoji renders from emojiBaseUrl.
   */
  emojis?: Map<string, string>;
}

const DEFAULT_EMOJI_BASE_URL = '/media/emojis';
const CODE_LANGUAGE_RE = /^[a-z0-9+#-]{1,20}$/;
const LINK_REL = 'noopener noreferrer nofollow';
const CTX_KEY = Symbol('plexichat.renderContext');

const escapeHtml = md.utils.escapeHtml;

function contextOf(env: Env | undefined): RenderContext {
  return (env?.[CTX_KEY] as RenderContext | undefined) ?? {};
}

function mentionSpan(attr: string, id: string, label: string): string {
  return `<span class="mention" ${attr}="${escapeHtml(id)}">${escapeHtml(label)}</span>`;
}

function renderChatToken(token: ChatToken, ctx: RenderContext): string {
  switch (token.kind) {
    case 'user':
      return mentionSpan('data-user-id', token.id, `@${ctx.users?.get(token.id) ?? 'unknown-user'}`);
    case 'role':
      return mentionSpan('data-role-id', token.id, `@${ctx.roles?.get(token.id) ?? 'unknown-role'}`);
    case 'channel':
      return mentionSpan('data-channel-id', token.id, `#${ctx.channels?.get(token.id) ?? 'unknown-channel'}`);
    case 'emoji': {
      const base = (ctx.emojiBaseUrl ?? DEFAULT_EMOJI_BASE_URL).replace(/\/+$/, '');
      const src = ctx.emojis ? ctx.emojis.get(token.id) : `${base}/${token.id}.webp`;
      if (src === undefined) return escapeHtml(`:${token.name}:`);
      const animated = token.animated ? ' data-animated="true"' : '';
      return `<img class="emoji" alt=":${escapeHtml(token.name)}:" src="${escapeHtml(src)}"${animated}>`;
    }
    case 'everyone':
      return ctx.mentionEveryone
        ? `<span class="mention mention-everyone">@${token.which}</span>`
        : `@${token.which}`;
  }
}

const chatMention: RendererRule = (tokens, idx, _options, env) => {
  const token = tokens[idx];
  const meta = token?.meta as ChatToken | null | undefined;
  if (!token || !meta) return escapeHtml(token?.markup ?? '');
  return renderChatToken(meta, contextOf(env));
};

/** Fenced code: the language becomes a class only when it is a plain identifier. */
const fence: RendererRule = (tokens, idx) => {
  const token = tokens[idx] as Token;
  const info = md.utils.unescapeAll(token.info).trim();
  const lang = (info.split(/\s+/)[0] ?? '').toLowerCase();
  const cls = CODE_LANGUAGE_RE.test(lang) ? ` class="language-${lang}"` : '';
  return `<pre><code${cls}>${escapeHtml(token.content)}</code></pre>\n`;
};

/** Every link (`[text](url)`, `<url>`, bare URL) opens in a new tab without referrer or opener. */
const linkOpen: RendererRule = (tokens, idx, options, _env, self) => {
  const token = tokens[idx] as Token;
  token.attrSet('rel', LINK_REL);
  token.attrSet('target', '_blank');
  return self.renderToken(tokens, idx, options);
};

/** Discord's `__underline__`; `**bold**` stays <strong>. */
const strongOpen: RendererRule = (tokens, idx, options, _env, self) =>
  tokens[idx]?.markup === '__' ? '<u>' : self.renderToken(tokens, idx, options);
const strongClose: RendererRule = (tokens, idx, options, _env, self) =>
  tokens[idx]?.markup === '__' ? '</u>' : self.renderToken(tokens, idx, options);

md.renderer.rules[CHAT_TOKEN] = chatMention;
md.renderer.rules.fence = fence;
md.renderer.rules.link_open = linkOpen;
md.renderer.rules.strong_open = strongOpen;
md.renderer.rules.strong_close = strongClose;

/** Renders a chat message's Markdown as safe HTML (see parser.ts for the supported syntax). */
export function renderMessageHtml(content: string, ctx: RenderContext = {}): string {
  return md.render(content, { [CTX_KEY]: ctx });
}
