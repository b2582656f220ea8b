import type { IpRuleInput } from '../../../shared/domain/ip-rules/ip-rules.js';
import ipaddr from 'ipaddr.js';
import Joi from 'joi';
import { SECURITY_EVENT_TYPES, type SecurityEventType } from '../../../shared/auth/security-events.js';
import { pagination, snowflake } from '../common-schemas.js';

/** Most rules one PUT /admin/ip-rules may hold. */
export const MAX_IP_RULES = 1000;

export interface SecurityEventsQuery {
  limit: number;
  before?: string;
  after?: string;
  user_id?: string;
  type?: SecurityEventType;
  ip?: string;
}

export const securityEventsQuery = Joi.object<SecurityEventsQuery>({
  ...pagination,
  user_id: snowflake().description('only events of this user'),
  type: Joi.string()
    .valid(...SECURITY_EVENT_TYPES)
    .description('only events of this type'),
  ip: Joi.string()
    .ip({ cidr: 'forbidden' })
    .description('only events from this client address (IPv4 or IPv6)'),
});

export const securityEventObject = Joi.object({
  id: Joi.string().required(),
  type: Joi.string()
    .valid(...SECURITY_EVENT_TYPES)
    .required(),
  user_id: Joi.string().allow(null).required(),
  ip: Joi.string().allow(null).required(),
  details: Joi.object().unknown().required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'SecurityEvent' });

/**
 * `203.0.113.0/24`, `2001:db8::/32` or a bare address (a /32 or /128) in canonical form: host bits
 * cleared (`10.0.0.1/8` -> `10.0.0.0/8`, which Postgres `cidr` requires), IPv4-mapped IPv6 unwrapped
 * to IPv4, IPv6 compressed. IPv4 must be written as four decimal parts. Throws when invalid.
 */
export function canonicalCidr(input: string): string {
  const [address = '', bitsText, ...rest] = input.trim().split('/');
  if (rest.length > 0 || (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText))) {
    throw new Error('not a CIDR');
  }
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  if (address.includes('%')) throw new Error('zone ids are not allowed');
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) ip = ipaddr.IPv4.parse(address);
  else if (address.includes(':') && ipaddr.IPv6.isValid(address)) ip = ipaddr.IPv6.parse(address);
  else throw new Error('not an IP address');
  let bits = bitsText === undefined ? (ip.kind() === 'ipv4' ? 32 : 128) : Number(bitsText);
  if (bits > (ip.kind() === 'ipv4' ? 32 : 128)) throw new Error('prefix length out of range');
  if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress()) {
    if (bits < 96) throw new Error('an IPv4-mapped range needs a prefix of at least 96');
    ip = ip.toIPv4Address();
    bits -= 96;
  }
  const network =
    ip instanceof ipaddr.IPv4
      ? ipaddr.IPv4.networkAddressFromCIDR(`${ip.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${ip.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}

const cidr = () =>
  Joi.string()
    .max(64)
    .custom((value: string, helpers) => {
      try {
        return canonicalCidr(value);
      } catch {
        return helpers.error('any.invalid');
      }
    })
    .messages({
      'any.invalid': '{{#label}} must be an IPv4 or IPv6 CIDR such as 203.0.113.0/24 or 2001:db8::/32',
    });

export type { IpRuleInput } from '../../../shared/domain/ip-rules/ip-rules.js';

const ipRuleList = () =>
  Joi.array()
    .items(
      Joi.object({
        cidr: cidr().required(),
        action: Joi.string().valid('allow', 'deny').required(),
        note: Joi.string().max(200).allow(null, ''),
        // What GET adds to each rule: taken and ignored, so a listed rule can be sent back as it is.
        id: Joi.any().strip(),
        created_by: Joi.any().strip(),
        created_at: Joi.any().strip(),
      }),
    )
    .max(MAX_IP_RULES)
    .description('the whole new list; [] removes every rule');

/**
 * `{rules: [...]}`, or the bare list as GET answers it (a PUT of what GET gave back restores it):
 * the handler gets `{rules}` either way.
 */
const ipRulesObject = () => Joi.object({ rules: ipRuleList().required() });
export const putIpRulesBody = Joi.alternatives()
  // Chosen by the body's type, so a bad rule is named (`0.cidr`, `rules.0.cidr`) in either form.
  .conditional(Joi.array(), {
    then: ipRuleList().custom((rules: IpRuleInput[]) => ({ rules })),
    otherwise: ipRulesObject(),
  })
  .required()
  // The OpenAPI converter does not read a condition that is a schema; the document shows the two forms.
  .meta({
    schemaOverride: Joi.alternatives().try(ipRulesObject(), ipRuleList()).required(),
  }) as unknown as Joi.ObjectSchema<{
  rules: IpRuleInput[];
}>;

export const ipRuleObject = Joi.object({
  id: Joi.string().required(),
  cidr: Joi.string().required().description('canonical form: host bits cleared'),
  action: Joi.string().valid('allow', 'deny').required(),
  note: Joi.string().allow(null).required(),
  created_by: Joi.string().allow(null).required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'IpRule' });

const counts = (keys: string[]) =>
  Joi.object(Object.fromEntries(keys.map((k) => [k, Joi.number().integer().min(0)])));

/** One process's figures in GET /admin/stats (summed over processes in `instance`). */
const figureFields = {
  http_requests: Joi.number().integer(),
  http_4xx: Joi.number().integer(),
  http_5xx: Joi.number().integer(),
  rate_limit_hits: Joi.object().pattern(Joi.string(), Joi.number()).description('429s by route or bucket'),
  jobs_completed: Joi.number().integer(),
  jobs_failed: Joi.number().integer(),
  gateway_sessions: Joi.number().integer().description('gateway sessions with a connection'),
  gateway_detached: Joi.number().integer().description('dropped gateway sessions awaiting a resume'),
};

const processFigures = Joi.object({
  id: Joi.string(),
  role: Joi.string(),
  uptime_seconds: Joi.number().integer(),
  rss_bytes: Joi.number().integer(),
  ...figureFields,
});

/** GET /admin/stats. */
export const statsObject = Joi.object({
  users: Joi.number().integer().description('human accounts'),
  bots: Joi.number().integer(),
  disabled_users: Joi.number().integer(),
  servers: Joi.number().integer(),
  channels: Joi.number().integer(),
  messages: Joi.number().integer(),
  messages_24h: Joi.number().integer(),
  queues: Joi.object()
    .pattern(Joi.string(), counts(['waiting', 'active', 'delayed', 'failed', 'completed']))
    .description('jobs per state, per queue (completed and failed: the kept ones)'),
  rate_limit_hits: Joi.object()
    .pattern(Joi.string(), Joi.number())
    .description('429s by route or bucket, over every live process (`instance.rate_limit_hits`)'),
  process: processFigures.description('figures of the process that answered'),
  processes: Joi.array()
    .items(processFigures)
    .description('every live process (API, workers, gateway, voice), as each last published them'),
  instance: Joi.object({
    processes: Joi.number().integer(),
    roles: Joi.object().pattern(Joi.string(), Joi.number().integer()).description('live processes per role'),
    rss_bytes: Joi.number().integer(),
    ...figureFields,
  }).description('the figures of every live process added up'),
});

/** POST /admin/selftest. */
export const selftestObject = Joi.object({
  ok: Joi.boolean().required(),
  checks: Joi.array()
    .items(
      Joi.object({
        name: Joi.string().required(),
        ok: Joi.boolean().required(),
        ms: Joi.number().integer().required(),
        detail: Joi.string().allow('').required(),
      }),
    )
    .required(),
});

export const logsQuery = Joi.object({
  level: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug').description('lowest level shown'),
  role: Joi.string().max(32).description('api, gateway, workers, voice, all...'),
  request_id: Joi.string().max(100),
  q: Joi.string().max(200).description('text the entry contains (case-insensitive)'),
  before: Joi.string()
    .pattern(/^\d+-\d+$/)
    .description('an entry id: older entries'),
  limit: Joi.number().integer().min(1).max(500).default(100),
});

export const logEntryObject = Joi.object({
  id: Joi.string().required().description('stream id, the paging cursor'),
  level: Joi.string().required(),
  time: Joi.number().required().description('unix milliseconds'),
  role: Joi.string().allow(null).required(),
  msg: Joi.string().allow(null).required(),
  fields: Joi.object().required(),
});
