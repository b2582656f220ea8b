import { recordAudit } from '../../audit.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
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
  await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    // The screening flag and rule version live in Redis: recomputed from the committed rules.
    fx.refresh('automod', [serverId]);
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
}
