import RE2 from 're2';
import { extractLinks, extractMentions } from '../markdown/index.js';
import { truncateText } from '../text.js';

/** What a rule looks for. */
export const AUTOMOD_TRIGGERS = ['keyword', 'regex', 'mention_spam', 'link', 'spam'] as const;
export type AutomodTrigger = (typeof AUTOMOD_TRIGGERS)[number];

/** What a rule does when it matches. */
export const AUTOMOD_ACTIONS = ['block', 'alert', 'timeout'] as const;

/** A rule's trigger settings, by type (validated by the API's joi schema). */
export interface TriggerSettings {
  /** keyword: words or phrases, `*` a wildcard (`bad*`, `*word*`); whole words, any case. */
  keywords?: string[];
  /** keyword: words that never match even if a keyword would (`scunthorpe`). */
  allow_list?: string[];
  /** regex: RE2 patterns (linear time: no backreferences or lookaround), case-insensitive. */
  patterns?: string[];
  /** mention_spam: more distinct user and role mentions than this (and @everyone/@here counts 1). */
  mention_limit?: number;
  /** link: hosts allowed (a host and its subdomains), invites to them included; other links match. */
  allowed_domains?: string[];
  /** link: only invite links (to this or other chat services) match, other links pass. */
  invites_only?: boolean;
  /** spam: more than `max_messages` messages from one member within `window_seconds`. */
  max_messages?: number;
  window_seconds?: number;
}

/** One action of a rule. */
export type RuleAction =
  { type: 'block' } | { type: 'alert'; channel_id: string } | { type: 'timeout'; duration_seconds: number };

/** A rule as the worker evaluates it: patterns compiled once. */
export interface CompiledRule {
  id: string;
  name: string;
  trigger: AutomodTrigger;
  settings: TriggerSettings;
  actions: RuleAction[];
  exemptRoles: Set<string>;
  exemptChannels: Set<string>;
  /** keyword/regex: one global RE2 for all the rule's words or patterns. */
  matcher: RE2 | null;
  allow: RE2 | null;
}

/** `bad*` -> `bad\w*`: a keyword as a whole-word pattern; `*` matches within a word. */
function keywordPattern(word: string): string {
  const escaped = word
    .trim()
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('\\w*');
  return `(?:^|\\W)(?:${escaped})(?:$|\\W)`;
}

/**
 * Compiles patterns into one case-insensitive RE2 (`global`: for walking every match); throws
 * naming the first bad one (its index).
 */
export function compilePatterns(patterns: string[], global = false): RE2 | null {
  if (patterns.length === 0) return null;
  patterns.forEach((p, i) => {
    try {
      new RE2(p, 'iu');
    } catch (err) {
      throw new PatternError(i, (err as Error).message);
    }
  });
  return new RE2(patterns.map((p) => `(?:${p})`).join('|'), global ? 'giu' : 'iu');
}

/** A pattern RE2 refuses (backreferences, lookaround, bad syntax): `index` is its place in the list. */
export class PatternError extends Error {
  constructor(
    readonly index: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** Prepares a stored rule for evaluation. */
export function compileRule(rule: {
  id: string;
  name: string;
  trigger_type: AutomodTrigger;
  trigger: TriggerSettings;
  actions: RuleAction[];
  exempt_roles: string[];
  exempt_channels: string[];
}): CompiledRule {
  const s = rule.trigger;
  let matcher: RE2 | null = null;
  let allow: RE2 | null = null;
  if (rule.trigger_type === 'keyword') {
    matcher = compilePatterns((s.keywords ?? []).map(keywordPattern), true);
    allow = compilePatterns((s.allow_list ?? []).map(keywordPattern));
  } else if (rule.trigger_type === 'regex') {
    matcher = compilePatterns(s.patterns ?? [], true);
  }
  return {
    id: rule.id,
    name: rule.name,
    trigger: rule.trigger_type,
    settings: s,
    actions: rule.actions,
    exemptRoles: new Set(rule.exempt_roles.map(String)),
    exemptChannels: new Set(rule.exempt_channels.map(String)),
    matcher,
    allow,
  };
}

/** Hosts and paths that are invites to a chat community (ours and the usual others). */
const INVITE_LINK =
  /^https?:\/\/(?:[^/]+\/(?:invite|invites)\/[A-Za-z0-9-]+|(?:www\.)?(?:discord\.gg|discord\.com\/invite|discordapp\.com\/invite|t\.me\/joinchat|chat\.whatsapp\.com)\b)/i;
/** Invites written without a scheme, which linkify does not turn into links. */
const BARE_INVITE = /(?:^|\s)(?:www\.)?(?:discord\.gg|discord\.com\/invite|t\.me\/joinchat)\/[A-Za-z0-9-]+/i;

function hostAllowed(url: string, allowed: string[]): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return allowed.some((d) => host === d.toLowerCase() || host.endsWith(`.${d.toLowerCase()}`));
}

/** Why a rule matched, for the alert and the block message. */
export interface RuleMatch {
  rule: CompiledRule;
  /** What matched: the word, the link, "7 mentions"... */
  detail: string;
}

/**
 * Each match of a global `re` in `content`, trimmed. A keyword's trailing boundary consumes the
 * separator the next word needs as its leading one, so the next search starts at the match's last
 * character (and always past its first, so the walk ends: at most one step per character).
 */
function* everyMatch(re: RE2, content: string): Generator<string> {
  re.lastIndex = 0;
  let found: RegExpExecArray | null;
  while ((found = re.exec(content)) !== null) {
    const text = found[0];
    yield text.trim();
    const chars = [...text];
    const first = chars[0]?.length ?? 1;
    const last = chars[chars.length - 1]?.length ?? 0;
    re.lastIndex = Math.max(found.index + first, found.index + text.length - last);
  }
}

/**
 * Whether `rule` matches `content` (the content-based triggers; `spam` is counted by the caller
 * in Redis). RE2 runs in time linear in the content, so no rule can stall a worker.
 */
export function matchContent(rule: CompiledRule, content: string): RuleMatch | null {
  const s = rule.settings;
  switch (rule.trigger) {
    case 'keyword':
    case 'regex': {
      if (!rule.matcher) return null;
      // Every match meets the allow list: an allowed word (`badminton`) must not hide a later one.
      for (const text of everyMatch(rule.matcher, content)) {
        if (rule.allow?.test(text)) continue;
        return { rule, detail: truncateText(text, 100) };
      }
      return null;
    }
    case 'mention_spam': {
      const m = extractMentions(content);
      const count = m.users.length + m.roles.length + (m.everyone ? 1 : 0);
      return count > (s.mention_limit ?? 5) ? { rule, detail: `${count} mentions` } : null;
    }
    case 'link': {
      const links = extractLinks(content);
      const bare = BARE_INVITE.exec(content);
      if (bare) links.push(`https://${bare[0].trim()}`);
      for (const link of links) {
        if (s.invites_only && !INVITE_LINK.test(link)) continue;
        if (hostAllowed(link, s.allowed_domains ?? [])) continue;
        return { rule, detail: truncateText(link, 200) };
      }
      return null;
    }
    case 'spam':
      return null;
  }
}
