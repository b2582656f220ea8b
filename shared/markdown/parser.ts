// The one markdown-it instance behind message rendering and mention extraction, configured once at
// module load (rendering runs per message). Both use the same parse, so what is rendered as a
// mention is exactly what is extracted as one: never anything inside a code span or code block.
//
// Discord flavour on the 'zero' preset, so every rule is opt-in: paragraphs, fenced code, block
// quotes, emphasis (`__x__` renders <u>), ~~strike~~, ||spoiler||, inline code, links and
// autolinks with safe schemes only, hard line breaks. No raw HTML, headings, lists, images,
// tables, rules, references, indented code or entity decoding: `# x` and `&amp;` stay as typed.
import MarkdownIt from 'markdown-it';
import type { Delimiter, MarkdownIt as Markdown, StateInline } from 'markdown-it';

/** A chat token found by the parser; carried as the `meta` of a `chat_mention` token. */
export type ChatToken =
  | { kind: 'user' | 'role' | 'channel'; id: string }
  | { kind: 'emoji'; id: string; name: string; animated: boolean }
  | { kind: 'everyone'; which: 'everyone' | 'here' };

export const CHAT_TOKEN = 'chat_mention';

/** Link targets must carry one of these schemes; everything else (relative included) is text. */
const SAFE_URL_RE = /^(?:https?:\/\/|mailto:)/i;

const LT = 0x3c; // <
const AT = 0x40; // @
const PIPE = 0x7c; // |

// `<@123>` / `<@!123>` user, `<@&123>` role, `<#123>` channel, `<:name:123>` / `<a:name:123>` emoji.
const ANGLE_TOKEN_RE = /<(?:@(!|&)?(\d{1,20})|#(\d{1,20})|(a?):([A-Za-z0-9_]{2,32}):(\d{1,20}))>/y;
const EVERYONE_RE = /@(everyone|here)(?![A-Za-z0-9_])/y;
const WORD_CHAR_RE = /[A-Za-z0-9_]/;

/** markdown-it's `text` rule plus `|`, so that the spoiler rule gets a chance at `||`. */
function isTerminatorChar(ch: number): boolean {
  switch (ch) {
    case 0x0a /* \n */:
    case 0x21 /* ! */:
    case 0x23 /* # */:
    case 0x24 /* $ */:
    case 0x25 /* % */:
    case 0x26 /* & */:
    case 0x2a /* * */:
    case 0x2b /* + */:
    case 0x2d /* - */:
    case 0x3a /* : */:
    case 0x3c /* < */:
    case 0x3d /* = */:
    case 0x3e /* > */:
    case 0x40 /* @ */:
    case 0x5b /* [ */:
    case 0x5c /* \ */:
    case 0x5d /* ] */:
    case 0x5e /* ^ */:
    case 0x5f /* _ */:
    case 0x60 /* ` */:
    case 0x7b /* { */:
    case 0x7c /* | */:
    case 0x7d /* } */:
    case 0x7e /* ~ */:
      return true;
    default:
      return false;
  }
}

function text(state: StateInline, silent: boolean): boolean {
  let pos = state.pos;
  while (pos < state.posMax && !isTerminatorChar(state.src.charCodeAt(pos))) pos++;
  if (pos === state.pos) return false;
  if (!silent) state.pending += state.src.slice(state.pos, pos);
  state.pos = pos;
  return true;
}

/** Mentions, channel links and custom emoji: `<@id>`, `<@!id>`, `<@&id>`, `<#id>`, `<a?:name:id>`. */
function angleToken(state: StateInline, silent: boolean): boolean {
  if (state.src.charCodeAt(state.pos) !== LT) return false;
  ANGLE_TOKEN_RE.lastIndex = state.pos;
  const m = ANGLE_TOKEN_RE.exec(state.src);
  if (!m || m.index + m[0].length > state.posMax) return false;
  if (!silent) {
    const [, userOrRole, memberId, channelId, animated, emojiName, emojiId] = m;
    let meta: ChatToken;
    if (memberId !== undefined) meta = { kind: userOrRole === '&' ? 'role' : 'user', id: memberId };
    else if (channelId !== undefined) meta = { kind: 'channel', id: channelId };
    else meta = { kind: 'emoji', id: emojiId ?? '', name: emojiName ?? '', animated: animated === 'a' };
    const token = state.push(CHAT_TOKEN, '', 0);
    token.meta = meta;
    token.markup = m[0];
  }
  state.pos += m[0].length;
  return true;
}

/** `@everyone` / `@here` as whole words (not the `@here` of `me@here.com`). */
function everyoneToken(state: StateInline, silent: boolean): boolean {
  const pos = state.pos;
  if (state.src.charCodeAt(pos) !== AT) return false;
  if (pos > 0 && WORD_CHAR_RE.test(state.src.charAt(pos - 1))) return false;
  EVERYONE_RE.lastIndex = pos;
  const m = EVERYONE_RE.exec(state.src);
  if (!m || pos + m[0].length > state.posMax) return false;
  if (!silent) {
    const token = state.push(CHAT_TOKEN, '', 0);
    token.meta = { kind: 'everyone', which: m[1] === 'here' ? 'here' : 'everyone' } satisfies ChatToken;
    token.markup = m[0];
  }
  state.pos += m[0].length;
  return true;
}

/** `||spoiler||` delimiters, tokenized like markdown-it's `~~` (pairs matched by balance_pairs). */
function spoilerTokenize(state: StateInline, silent: boolean): boolean {
  if (silent || state.src.charCodeAt(state.pos) !== PIPE) return false;
  const scanned = state.scanDelims(state.pos, true);
  let len = scanned.length;
  if (len < 2) return false;
  if (len % 2) {
    state.push('text', '', 0).content = '|';
    len--;
  }
  for (let i = 0; i < len; i += 2) {
    state.push('text', '', 0).content = '||';
    state.delimiters.push({
      marker: PIPE,
      length: 0,
      token: state.tokens.length - 1,
      end: -1,
      open: scanned.can_open,
      close: scanned.can_close,
    });
  }
  state.pos += scanned.length;
  return true;
}

function spoilerPairs(state: StateInline, delimiters: Delimiter[]): void {
  const loneMarkers: number[] = [];
  for (const start of delimiters) {
    if (start.marker !== PIPE || start.end === -1) continue;
    const end = delimiters[start.end];
    const open = state.tokens[start.token];
    const close = end && state.tokens[end.token];
    if (!open || !close || !end) continue;
    open.type = 'spoiler_open';
    open.tag = 'span';
    open.nesting = 1;
    open.markup = '||';
    open.content = '';
    open.attrs = [['class', 'spoiler']];
    close.type = 'spoiler_close';
    close.tag = 'span';
    close.nesting = -1;
    close.markup = '||';
    close.content = '';
    const before = state.tokens[end.token - 1];
    if (before?.type === 'text' && before.content === '|') loneMarkers.push(end.token - 1);
  }
  // As for `~~~x~~~`: a lone marker before a closer moves outside the closing tags.
  for (let i = loneMarkers.pop(); i !== undefined; i = loneMarkers.pop()) {
    let j = i + 1;
    while (j < state.tokens.length && state.tokens[j]?.type === 'spoiler_close') j++;
    j--;
    const a = state.tokens[i];
    const b = state.tokens[j];
    if (i !== j && a && b) {
      state.tokens[i] = b;
      state.tokens[j] = a;
    }
  }
}

function spoilerPostProcess(state: StateInline): boolean {
  spoilerPairs(state, state.delimiters);
  for (const meta of state.tokens_meta) {
    if (meta?.delimiters) spoilerPairs(state, meta.delimiters);
  }
  return true;
}

function createParser(): Markdown {
  const md = new MarkdownIt('zero', {
    html: false,
    breaks: true,
    linkify: true,
    typographer: false,
    xhtmlOut: false,
  });
  md.enable(['fence', 'blockquote']);
  md.enable(['newline', 'escape', 'backticks', 'strikethrough', 'emphasis', 'link', 'autolink', 'linkify']);

  md.inline.ruler.at('text', text);
  md.inline.ruler.before('text', 'chat_angle_token', angleToken);
  md.inline.ruler.before('text', 'chat_everyone', everyoneToken);
  md.inline.ruler.after('strikethrough', 'spoiler', spoilerTokenize);
  md.inline.ruler2.after('balance_pairs', 'spoiler', spoilerPostProcess);

  // Bare URLs only with an explicit http(s):// or mailto: (no `example.com`, no `//host`, no ftp:).
  md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
  md.linkify.add('//', null).add('ftp:', null);

  // Allow-list, checked after markdown-it has decoded entities and escapes in the destination:
  // `javascript:`, `data:`, `vbscript:`, `file:`, `//host` and relative URLs all fail, and the
  // link then stays plain text.
  md.validateLink = (url: string): boolean => SAFE_URL_RE.test(url);
  return md;
}

export const md = createParser();
