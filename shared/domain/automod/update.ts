import { diff, recordAudit } from '../../audit.js';
import type { AutomodTrigger, TriggerSettings } from '../../automod/rules.js';
import { ValidationError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { checkRule, findRule, manager, presentRule, type RulePatch } from './rules.js';

/**
 * Changes an AutoMod rule (MANAGE_SERVER); its trigger type stays. Audited as automod_rule_update
 * with what changed.
 */
export async function updateRule(
  rt: Runtime,
  serverId: string,
  ruleId: string,
  userId: string,
  patch: RulePatch,
  reason: string | null,
  /** Validates new trigger settings for the rule's trigger type (the API's joi schema); throws 400. */
  validateTrigger: (type: AutomodTrigger, trigger: unknown) => TriggerSettings,
) {
  await manager(rt, serverId, userId);
  const rule = await findRule(rt, serverId, ruleId);
  const trigger =
    patch.trigger === undefined
      ? rule.trigger
      : prefixed(() => validateTrigger(rule.trigger_type, patch.trigger));
  const next = {
    trigger_type: rule.trigger_type,
    trigger,
    actions: patch.actions ?? rule.actions,
    exempt_roles: patch.exempt_roles ?? rule.exempt_roles.map(String),
    exempt_channels: patch.exempt_channels ?? rule.exempt_channels.map(String),
  };
  await checkRule(rt, serverId, next);
  const before = presentRule(rule);
  const after = await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    // The screening flag and rule version live in Redis: recomputed from the committed rules.
    fx.refresh('automod', [serverId]);
    await rule.update(
      {
        ...next,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      },
      { transaction },
    );
    const presented = presentRule(rule);
    const changes = diff(before, presented).filter((c) => c.key !== 'created_at');
    if (changes.length > 0) {
      await recordAudit(
        rt,
        {
          serverId,
          actorId: userId,
          action: 'automod_rule_update',
          targetType: 'automod_rule',
          targetId: rule.id,
          changes,
          reason,
        },
        transaction,
      );
    }
    return presented;
  });
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
