import { recordAudit } from '../../audit.js';
import { rulesChanged } from '../../automod/store.js';
import type { Runtime } from '../../runtime.js';
import { findRule, manager } from './rules.js';

/** Deletes an AutoMod rule (MANAGE_SERVER). Audited as automod_rule_delete. */
export async function deleteRule(
  rt: Runtime,
  serverId: string,
  ruleId: string,
  userId: string,
  reason: string | null,
) {
  await manager(rt, serverId, userId);
  const rule = await findRule(rt, serverId, ruleId);
  await rt.sequelize.transaction(async (transaction) => {
    await rule.destroy({ transaction });
    await recordAudit(
      rt,
      {
        serverId,
        actorId: userId,
        action: 'automod_rule_delete',
        targetType: 'automod_rule',
        targetId: rule.id,
        changes: [{ key: 'name', old: rule.name }],
        reason,
      },
      transaction,
    );
  });
  await rulesChanged(rt, rt.config.redis.key_prefix, serverId);
}
