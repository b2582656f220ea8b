import type { Job } from 'bullmq';
import { recordAudit } from '../../shared/audit.js';
import { matchContent, type CompiledRule, type RuleMatch } from '../../shared/automod/rules.js';
import { RuleCache } from '../../shared/automod/store.js';
import { rooms } from '../../shared/events/index.js';
import { SYSTEM_USER_ID } from '../../shared/messages/system-messages.js';
import { runCommand } from '../../shared/outbox/index.js';
import {
  Permission,
  ServerPolicy,
  basePermissions,
  has,
  loadMemberFacts,
} from '../../shared/permissions/index.js';
import { channelViewers } from '../../shared/permissions/viewers.js';
import { presentMember } from '../../shared/presenters/role.js';
import { unixSeconds } from '../../shared/presenters/time.js';
import { type AutomodJob, type AutomodResult, type JobPayload } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { truncateText } from '../../shared/text.js';

/** Longest timeout AutoMod may give (Discord's limit). */
const MAX_TIMEOUT_SECONDS = 28 * 86_400;

function exempt(rule: CompiledRule, job: AutomodJob): boolean {
  return (
    rule.exemptChannels.has(job.channel_id) ||
    (job.parent_id !== null && rule.exemptChannels.has(job.parent_id)) ||
    job.author_role_ids.some((r) => rule.exemptRoles.has(r))
  );
}

/**
 * Screens one message against its server's enabled rules: content triggers in RE2 (linear time),
 * message-rate spam with a Redis counter per rule and member. Alerts and timeouts of every matching
 * rule happen; when a matching rule blocks, the message is never queued and the API answers 400
 * naming the rule, otherwise the worker queues the message command itself (same job id as without
 * AutoMod, so a retry stores it once).
 */
export function createAutomodProcessor(rt: Runtime) {
  const cache = new RuleCache(rt, rt.config.redis.key_prefix);
  const prefix = rt.config.redis.key_prefix;

  async function spamMatch(rule: CompiledRule, job: AutomodJob): Promise<RuleMatch | null> {
    // Only new messages count toward a rate; the job id makes a retried job count once.
    if (job.command.kind !== 'create') return null;
    const window = rule.settings.window_seconds ?? 10;
    const key = `${prefix}:automod:rate:${rule.id}:${job.author_id}`;
    const now = Date.now();
    const [, , [, count]] = (await rt.redis
      .multi()
      .zadd(key, now, job.job_id)
      .zremrangebyscore(key, 0, now - window * 1000)
      .zcard(key)
      .pexpire(key, window * 1000)
      .exec()) as [unknown, unknown, [unknown, number], unknown];
    const max = rule.settings.max_messages ?? 5;
    return count > max ? { rule, detail: `${count} messages in ${window}s` } : null;
  }

  /**
   * Whether everyone who can see the alert channel can also see the channel the message was sent
   * in: only then does the alert quote it (what matched and an excerpt). Decided when the alert is
   * posted, from who can see each channel then.
   */
  async function mayQuote(alertChannelId: string, sourceChannelId: string): Promise<boolean> {
    const [target, source] = await Promise.all([
      rt.models.Channel.findByPk(alertChannelId),
      rt.models.Channel.findByPk(sourceChannelId),
    ]);
    if (!target || !source) return false;
    const readers = await channelViewers(rt, target, 'everyone');
    const cleared = await channelViewers(rt, source, [...readers]);
    return [...readers].every((id) => cleared.has(id));
  }

  async function alert(
    match: RuleMatch,
    channelId: string,
    job: AutomodJob,
    blocked: boolean,
  ): Promise<void> {
    const content = job.command.kind === 'create' ? job.command.message.content : job.command.content;
    const excerpt = content.length > 200 ? `${truncateText(content, 200)}…` : content;
    const id = rt.snowflake.next();
    const head =
      `AutoMod rule "${match.rule.name}" (${match.rule.trigger}) ${blocked ? 'blocked' : 'flagged'} a message by ` +
      `<@${job.author_id}> in <#${job.channel_id}>`;
    const text = (await mayQuote(channelId, job.channel_id))
      ? `${head} (${match.detail}):\n> ${excerpt.replace(/\n/g, '\n> ')}`
      : `${head}. Not quoted: some who can see this channel cannot see that one.`;
    await rt.queues.messages.add(
      'create',
      {
        kind: 'create',
        message: {
          id,
          channel_id: channelId,
          // Posted by the system, not by the member it is about.
          author_id: SYSTEM_USER_ID,
          content: text,
          nonce: null,
          type: 'automod_alert',
          reply_to: null,
          allow_everyone: false,
        },
      },
      // One alert per rule per screened message, however often the job is retried.
      { jobId: `automod-alert-${job.job_id}-${match.rule.id}` },
    );
  }

  /**
   * Whether the rule may time the author out, as its creator could by hand: never the owner or an
   * administrator, nor anyone ranked at or above the rule's creator (the owner's rank when the
   * creator has left the server).
   */
  async function mayTimeOut(
    ruleCreatorId: string | null,
    server: { id: string; owner_id: string },
    authorId: string,
  ) {
    const target = await loadMemberFacts(rt.models, server.id, authorId);
    if (!target || has(basePermissions(target.facts), Permission.ADMINISTRATOR)) return false;
    const actor = ruleCreatorId
      ? await ServerPolicy.load({ models: rt.models }, server.id, ruleCreatorId).catch(() => null)
      : null;
    const acting = actor ?? (await ServerPolicy.load({ models: rt.models }, server.id, server.owner_id));
    return acting.outranksMember(target.facts);
  }

  async function timeout(match: RuleMatch, job: AutomodJob, seconds: number): Promise<void> {
    const { Member, Server, User, MemberRole, AutomodRule } = rt.models;
    const [member, server, user, rule] = await Promise.all([
      Member.findOne({ where: { server_id: job.server_id, user_id: job.author_id } }),
      Server.findByPk(job.server_id),
      User.findByPk(job.author_id),
      AutomodRule.findByPk(match.rule.id),
    ]);
    if (!member || !server || !user) return;
    if (!(await mayTimeOut(rule?.creator_id ?? null, server, job.author_id))) return;
    const until = new Date(Date.now() + Math.min(seconds, MAX_TIMEOUT_SECONDS) * 1000);
    if (member.timeout_until && member.timeout_until >= until) return;
    const old = unixSeconds(
      member.timeout_until && member.timeout_until.getTime() > Date.now() ? member.timeout_until : null,
    );
    // One command: the member row and its audit entry, with the cache epoch, SERVER_MEMBER_UPDATE
    // and the live voice check (a timeout takes CONNECT and SPEAK) as its outbox effects.
    await runCommand(rt, rooms.server(job.server_id), async (transaction, fx) => {
      await member.update({ timeout_until: until }, { transaction });
      await recordAudit(
        rt,
        {
          serverId: job.server_id,
          actorId: rule?.creator_id ?? server.owner_id,
          action: 'member_timeout',
          targetType: 'member',
          targetId: job.author_id,
          changes: [{ key: 'communication_disabled_until', old, new: unixSeconds(until) }],
          reason: `AutoMod rule "${match.rule.name}"`,
        },
        transaction,
      );
      const roleIds = (
        await MemberRole.findAll({ where: { server_id: job.server_id, user_id: job.author_id }, transaction })
      ).map((r) => r.role_id);
      fx.invalidate({ servers: [job.server_id] });
      fx.dispatch(
        [rooms.server(job.server_id)],
        'SERVER_MEMBER_UPDATE',
        presentMember(rt.config, member, user, roleIds),
      );
      fx.enforceVoice(job.server_id, [job.author_id]);
    });
  }

  return async (job: Job<JobPayload<'automod'>>): Promise<AutomodResult> => {
    const data = job.data;
    const content = data.command.kind === 'create' ? data.command.message.content : data.command.content;
    const matches: RuleMatch[] = [];
    for (const rule of await cache.rules(data.server_id)) {
      if (exempt(rule, data)) continue;
      const match = rule.trigger === 'spam' ? await spamMatch(rule, data) : matchContent(rule, content);
      if (match) matches.push(match);
    }
    const blocking = matches.find((m) => m.rule.actions.some((a) => a.type === 'block')) ?? null;
    for (const match of matches) {
      for (const action of match.rule.actions) {
        if (action.type === 'alert') await alert(match, action.channel_id, data, blocking !== null);
        if (action.type === 'timeout') await timeout(match, data, action.duration_seconds);
      }
    }
    if (blocking) {
      rt.logger.info(
        { server: data.server_id, rule: blocking.rule.id, author: data.author_id },
        'automod blocked a message',
      );
      return {
        blocked: { rule_id: blocking.rule.id, rule_name: blocking.rule.name, detail: blocking.detail },
      };
    }
    await rt.queues.messages.add(data.command.kind, data.command, { jobId: data.job_id });
    return { blocked: null };
  };
}
