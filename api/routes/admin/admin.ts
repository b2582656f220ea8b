import Joi from 'joi';
import type { Row } from '../../../shared/db/models/index.js';
import { normalizeIp } from '../../../shared/net/ip.js';
import { pageBy } from '../../../shared/pagination.js';
import { replaceIpRules } from '../../../shared/domain/ip-rules/ip-rules.js';
import { unixSeconds } from '../../../shared/presenters/time.js';
import type { Runtime } from '../../../shared/runtime.js';
import { readAdminLog, type LogQuery } from '../../admin/logs.js';
import { instanceStats } from '../../admin/stats.js';
import { runSelftest } from '../../../shared/selftest/run.js';
import type { ApiServices } from '../../services.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  ipRuleObject,
  putIpRulesBody,
  securityEventObject,
  securityEventsQuery,
  logEntryObject,
  logsQuery,
  selftestObject,
  statsObject,
  type IpRuleInput,
  type SecurityEventsQuery,
} from './schema.js';

function presentSecurityEvent(event: Row<'SecurityEvent'>) {
  return {
    id: event.id,
    type: event.type,
    user_id: event.user_id ?? null,
    ip: event.ip ?? null,
    details: event.details ?? {},
    created_at: unixSeconds(event.created_at),
  };
}

function presentIpRule(rule: Row<'IpRule'>) {
  return {
    id: rule.id,
    cidr: rule.cidr,
    action: rule.action,
    note: rule.note ?? null,
    created_by: rule.created_by ?? null,
    created_at: unixSeconds(rule.created_at),
  };
}

/** GET /admin/security-events, GET/PUT /admin/ip-rules: instance admins only (a 403 for anyone else). */
export function adminRoutes(rt: Runtime, { ipRules }: ApiServices): AnyRoute[] {
  const { SecurityEvent, IpRule } = rt.models;
  const listRules = () => IpRule.findAll({ order: [['id', 'ASC']] });

  return [
    defineRoute({
      method: 'post',
      path: '/admin/selftest',
      access: 'admin',
      summary: 'Run the self-test against this instance',
      description:
        'What `npm run selftest -- --url <base>` does, from inside: health, register and log in, a server and ' +
        'channel, a message over REST received on the gateway, an upload read back, a webhook. Runs against the ' +
        'address this request arrived on (so through this process), registers a `selftest_*` user and deletes ' +
        'its server afterwards. `ok` is false when any check failed.',
      tags: ['Admin'],
      rateLimit: { points: 2, duration_seconds: 60 },
      responses: {
        200: { description: 'The checks', schema: selftestObject },
      },
      handler: async ({ req }) => {
        const local = normalizeIp(req.socket.localAddress);
        const host = local.includes(':') ? `[${local}]` : local;
        const url = `http://${host}:${req.socket.localPort}`;
        const checks = await runSelftest({ url, gatewayPath: rt.config.gateway.path });
        return { ok: checks.every((c) => c.ok), checks };
      },
    }),
    defineRoute<Record<string, never>, LogQuery>({
      method: 'get',
      path: '/admin/logs',
      access: 'admin',
      summary: 'The recent structured log of every process',
      description:
        'Newest first. Every process writes its log lines at `log.admin.level` and above (default info) to a ' +
        'capped Redis stream (about `log.admin.max_entries`); secrets are redacted before they are written. Filter ' +
        'by lowest `level`, `role`, `request_id` (the X-Request-Id of an API answer) and text `q`; page with ' +
        '`before` = the last entry’s id. A selective filter may answer a short page (at most 5000 entries are ' +
        'read per request).',
      tags: ['Admin'],
      query: logsQuery,
      responses: {
        200: { description: 'The entries', schema: Joi.array().items(logEntryObject) },
      },
      handler: ({ query }) => readAdminLog(rt, query),
    }),
    defineRoute({
      method: 'get',
      path: '/admin/stats',
      access: 'admin',
      summary: 'Instance overview: users, servers, messages, queue depths, rate-limit hits',
      description:
        'Counts come from Postgres and queue depths from Redis. Every process (API, workers, gateway, voice) ' +
        'publishes its request, rate-limit, job and gateway figures to Redis every ' +
        '`metrics.stats_interval_seconds`: `processes` lists the live ones, `instance` adds them up and ' +
        '`process` is the answering one (fresh). Prometheus gets the same from each process’s GET /metrics.',
      tags: ['Admin'],
      responses: {
        200: { description: 'The figures', schema: statsObject },
      },
      handler: () => instanceStats(rt),
    }),
    defineRoute<Record<string, never>, SecurityEventsQuery>({
      method: 'get',
      path: '/admin/security-events',
      access: 'admin',
      summary: 'Security events: logins, 2FA changes, revocations, IP blocks, lockouts',
      description:
        'Newest first (with `before` or with neither), oldest first with `after`. The `user_id`, `type` and `ip` filters combine.',
      tags: ['Admin'],
      query: securityEventsQuery,
      responses: {
        200: { description: 'One page of events', schema: Joi.array().items(securityEventObject) },
      },
      handler: async ({ query }) => {
        const page = pageBy('id', query);
        const events = await SecurityEvent.findAll({
          where: {
            ...page.where,
            ...(query.user_id !== undefined ? { user_id: query.user_id } : {}),
            ...(query.type !== undefined ? { type: query.type } : {}),
            // Events store addresses as normalizeIp writes them (IPv4-mapped IPv6 unwrapped).
            ...(query.ip !== undefined ? { ip: normalizeIp(query.ip) } : {}),
          },
          order: page.order,
          limit: page.limit,
        });
        return events.map(presentSecurityEvent);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/admin/ip-rules',
      access: 'admin',
      summary: 'The IP allow/deny rules',
      tags: ['Admin'],
      responses: {
        200: {
          description: 'Every rule, in the order it was given',
          schema: Joi.array().items(ipRuleObject),
        },
      },
      handler: async () => (await listRules()).map(presentIpRule),
    }),
    defineRoute<Record<string, never>, Record<string, never>, { rules: IpRuleInput[] }>({
      method: 'put',
      path: '/admin/ip-rules',
      access: 'admin',
      summary: 'Replace the IP allow/deny rules',
      description: [
        'Replaces the whole list in one transaction; every API process applies it within about a second.',
        'The body is `{rules: [{cidr, action, note?}]}` or that list alone, as GET answers it.',
        'A request is refused (403 `ip_blocked`) when its address is in a deny rule, or when any allow rule',
        'exists and its address is in none (an allowlist). CIDRs are stored with host bits cleared',
        '(`10.0.0.1/8` becomes `10.0.0.0/8`); a bare address is a /32 or /128. A list that would refuse',
        'the caller’s own address is refused with 409 `would_block_self`. Locked out anyway: run',
        '`npm run cli -- ip-rules clear` on a server.',
      ].join(' '),
      tags: ['Admin'],
      body: putIpRulesBody,
      responses: {
        200: { description: 'The new list', schema: Joi.array().items(ipRuleObject) },
        400: { description: 'A bad rule, named like `rules.0.cidr` (`0.cidr` for a bare list)' },
        409: { description: 'The rules would block the caller’s own address' },
      },
      handler: async ({ body, auth, ip }) => {
        await replaceIpRules(rt, auth.user.id, body.rules, ip, ipRules);
        return (await listRules()).map(presentIpRule);
      },
    }),
  ];
}
