import {
  PatternError,
  compileRule,
  type AutomodTrigger,
  type RuleAction,
  type TriggerSettings,
} from '../../automod/rules.js';
import type { Row } from '../../db/models/index.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { Permission, ServerPolicy } from '../../permissions/index.js';
import { unixSeconds } from '../../presenters/time.js';
import type { Runtime } from '../../runtime.js';

/** Most rules per server. */
export const MAX_RULES_PER_SERVER = 25;

/** POST /servers/{id}/automod/rules. */
export interface RuleInput {
  name: string;
  enabled: boolean;
  trigger_type: AutomodTrigger;
  trigger: TriggerSettings;
  actions: RuleAction[];
  exempt_roles: string[];
  exempt_channels: string[];
}

/** PATCH /servers/{id}/automod/rules/{rule_id}. */
export type RulePatch = Partial<Omit<RuleInput, 'trigger_type'>>;

/** The rule object. */
export function presentRule(rule: Row<'AutomodRule'>) {
  return {
    id: rule.id,
    server_id: rule.server_id,
    creator_id: rule.creator_id,
    name: rule.name,
    enabled: rule.enabled,
    trigger_type: rule.trigger_type,
    trigger: rule.trigger,
    actions: rule.actions,
    exempt_roles: rule.exempt_roles.map(String),
    exempt_channels: rule.exempt_channels.map(String),
    created_at: unixSeconds(rule.created_at),
  };
}

/** The caller's policy when they may manage the server's rules (MANAGE_SERVER), else 403. */
export async function manager(rt: Runtime, serverId: string, userId: string): Promise<ServerPolicy> {
  const policy = await ServerPolicy.load(rt, serverId, userId);
  policy.require(Permission.MANAGE_SERVER);
  return policy;
}

/** The checks joi cannot make: patterns RE2 accepts, ids that belong to this server. */
export async function checkRule(
  rt: Runtime,
  serverId: string,
  rule: Omit<RuleInput, 'name' | 'enabled'>,
): Promise<void> {
  try {
    compileRule({ id: '0', name: '', ...rule });
  } catch (err) {
    if (!(err instanceof PatternError)) throw err;
    const list = rule.trigger_type === 'regex' ? 'patterns' : 'keywords';
    throw new ValidationError({
      [`trigger.${list}.${err.index}`]: `is not a pattern RE2 accepts: ${err.message}`,
    });
  }
  const errors: Record<string, string> = {};
  const alerts = rule.actions.flatMap((a, i) => (a.type === 'alert' ? [[i, a.channel_id] as const] : []));
  const ids = [...new Set([...rule.exempt_channels, ...alerts.map(([, id]) => id)])];
  const channels = new Map(
    (await rt.models.Channel.findAll({ where: { id: ids, server_id: serverId } })).map((c) => [c.id, c]),
  );
  for (const [i, id] of alerts) {
    if (channels.get(id)?.channel_type !== 'text')
      errors[`actions.${i}.channel_id`] = 'is not a text channel of this server';
  }
  rule.exempt_channels.forEach((id, i) => {
    if (!channels.has(id)) errors[`exempt_channels.${i}`] = 'is not a channel of this server';
  });
  const roles = new Set(
    (
      await rt.models.Role.findAll({
        where: { id: rule.exempt_roles, server_id: serverId },
        attributes: ['id'],
      })
    ).map((r) => r.id),
  );
  rule.exempt_roles.forEach((id, i) => {
    if (!roles.has(id)) errors[`exempt_roles.${i}`] = 'is not a role of this server';
  });
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
}

/** A rule of the server, or 404 `unknown_automod_rule`. */
export async function findRule(rt: Runtime, serverId: string, ruleId: string): Promise<Row<'AutomodRule'>> {
  const rule = await rt.models.AutomodRule.findOne({ where: { id: ruleId, server_id: serverId } });
  if (!rule) throw new NotFoundError('automod_rule');
  return rule;
}
