import type Joi from 'joi';
import { diff, recordAudit } from '../../shared/audit.js';
import {
  PatternError,
  compileRule,
  type AutomodTrigger,
  type RuleAction,
  type TriggerSettings,
} from '../../shared/automod/rules.js';
import { rulesChanged } from '../../shared/automod/store.js';
import type { Row } from '../../shared/db/models/index.js';
import { ApiError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { Permission, ServerPolicy } from '../../shared/permissions/index.js';
import { unixSeconds } from '../../shared/presenters/time.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { validatePart } from '../middleware/validate.js';
import { triggerSchemas } from '../routes/automod/schema.js';

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

export type RulePatch = Partial<Omit<RuleInput, 'trigger_type'>>;

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

async function manager(rt: Runtime, serverId: string, userId: string): Promise<ServerPolicy> {
  const policy = await ServerPolicy.load(rt, serverId, userId);
  policy.require(Permission.MANAGE_SERVER);
  return policy;
}

/** The checks joi cannot make: patterns RE2 accepts, ids that belong to this server. */
async function checkRule(
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

async function findRule(rt: Runtime, serverId: string, ruleId: string): Promise<Row<'AutomodRule'>> {
  const rule = await rt.models.AutomodRule.findOne({ where: { id: ruleId, server_id: serverId } });
  if (!rule) throw new NotFoundError('automod_rule');
  return rule;
}

export async function listRules(rt: Runtime, serverId: string, userId: string) {
  await manager(rt, serverId, userId);
  const rules = await rt.models.AutomodRule.findAll({
    where: { server_id: serverId },
    order: [['id', 'ASC']],
  });
  return rules.map(presentRule);
}

export async function createRule(
  rt: Runtime,
  serverId: string,
  userId: string,
  input: RuleInput,
  reason: string | null,
) {
  await manager(rt, serverId, userId);
  if ((await rt.models.AutomodRule.count({ where: { server_id: serverId } })) >= MAX_RULES_PER_SERVER) {
    throw new ApiError(
      400,
      'too_many_automod_rules',
      `A server has at most ${MAX_RULES_PER_SERVER} AutoMod rules`,
    );
  }
  await checkRule(rt, serverId, input);
  const id = rt.snowflake.next();
  const rule = await rt.models.AutomodRule.create({
    id,
    server_id: serverId,
    creator_id: userId,
    ...input,
    created_at: new Date(decodeSnowflake(id).timestampMs),
  });
  await recordAudit(rt, {
    serverId,
    actorId: userId,
    action: 'automod_rule_create',
    targetType: 'automod_rule',
    targetId: id,
    changes: [
      { key: 'name', new: rule.name },
      { key: 'trigger_type', new: rule.trigger_type },
    ],
    reason,
  });
  await rulesChanged(rt, rt.config.redis.key_prefix, serverId);
  return presentRule(rule);
}

export async function updateRule(
  rt: Runtime,
  serverId: string,
  ruleId: string,
  userId: string,
  patch: RulePatch,
  reason: string | null,
) {
  await manager(rt, serverId, userId);
  const rule = await findRule(rt, serverId, ruleId);
  const trigger =
    patch.trigger === undefined
      ? rule.trigger
      : prefixed(() =>
          validatePart(
            triggerSchemas[rule.trigger_type] as Joi.ObjectSchema<TriggerSettings>,
            patch.trigger,
            'body',
          ),
        );
  const next = {
    trigger_type: rule.trigger_type,
    trigger,
    actions: patch.actions ?? rule.actions,
    exempt_roles: patch.exempt_roles ?? rule.exempt_roles.map(String),
    exempt_channels: patch.exempt_channels ?? rule.exempt_channels.map(String),
  };
  await checkRule(rt, serverId, next);
  const before = presentRule(rule);
  await rule.update({
    ...next,
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
  });
  const after = presentRule(rule);
  const changes = diff(before, after).filter((c) => c.key !== 'created_at');
  if (changes.length > 0) {
    await recordAudit(rt, {
      serverId,
      actorId: userId,
      action: 'automod_rule_update',
      targetType: 'automod_rule',
      targetId: rule.id,
      changes,
      reason,
    });
  }
  await rulesChanged(rt, rt.config.redis.key_prefix, serverId);
  return after;
}

/** Field errors of the trigger settings, named under `trigger.`. */
function prefixed<T>(validate: () => T): T {
  try {
    return validate();
  } catch (err) {
    if (!(err instanceof ValidationError) || !err.errors) throw err;
    throw new ValidationError(
      Object.fromEntries(Object.entries(err.errors).map(([k, v]) => [`trigger.${k}`, v])),
    );
  }
}

export async function deleteRule(
  rt: Runtime,
  serverId: string,
  ruleId: string,
  userId: string,
  reason: string | null,
) {
  await manager(rt, serverId, userId);
  const rule = await findRule(rt, serverId, ruleId);
  await rule.destroy();
  await recordAudit(rt, {
    serverId,
    actorId: userId,
    action: 'automod_rule_delete',
    targetType: 'automod_rule',
    targetId: rule.id,
    changes: [{ key: 'name', old: rule.name }],
    reason,
  });
  await rulesChanged(rt, rt.config.redis.key_prefix, serverId);
}
