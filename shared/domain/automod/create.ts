import { recordAudit } from '../../audit.js';
import { ApiError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { MAX_RULES_PER_SERVER, checkRule, manager, presentRule, type RuleInput } from './rules.js';

/**
 * Creates an AutoMod rule (MANAGE_SERVER; at most MAX_RULES_PER_SERVER). Audited as
 * automod_rule_create; the workers screen with it from their next message on.
 */
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
  const rule = await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    // The screening flag and rule version live in Redis: recomputed from the committed rules.
    fx.refresh('automod', [serverId]);
    const created = await rt.models.AutomodRule.create(
      {
        id,
        server_id: serverId,
        creator_id: userId,
        ...input,
        created_at: new Date(decodeSnowflake(id).timestampMs),
      },
      { transaction },
    );
    await recordAudit(
      rt,
      {
        serverId,
        actorId: userId,
        action: 'automod_rule_create',
        targetType: 'automod_rule',
        targetId: id,
        changes: [
          { key: 'name', new: created.name },
          { key: 'trigger_type', new: created.trigger_type },
        ],
        reason,
      },
      transaction,
    );
    return created;
  });
  return presentRule(rule);
}
