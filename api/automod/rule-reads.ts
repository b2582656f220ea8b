import { manager, presentRule } from '../../shared/domain/automod/rules.js';
import type { Runtime } from '../../shared/runtime.js';

// AutoMod rule reads; creating, changing and deleting are domain commands (shared/domain/automod/).

/** GET /servers/{id}/automod/rules (MANAGE_SERVER), oldest first. */
export async function listRules(rt: Runtime, serverId: string, userId: string) {
  await manager(rt, serverId, userId);
  const rules = await rt.models.AutomodRule.findAll({
    where: { server_id: serverId },
    order: [['id', 'ASC']],
  });
  return rules.map(presentRule);
}
