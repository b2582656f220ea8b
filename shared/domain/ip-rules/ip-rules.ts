import type { Transaction } from 'sequelize';
import { ConflictError } from '../../errors.js';
import { CidrSet } from '../../net/ip.js';
import { decide, type IpRules } from '../../net/ip-rules.js';
import { runCommand } from '../../outbox/index.js';
import type { Effects } from '../../outbox/effects.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';

/** One allow or deny rule as an admin sets it. */
export interface IpRuleInput {
  cidr: string;
  action: 'allow' | 'deny';
  note?: string | null;
}

/** Two concurrent replacements (or a replacement and a clear) must not interleave into a merged list. */
async function lockRules(rt: Pick<Runtime, 'sequelize'>, transaction: Transaction): Promise<void> {
  await rt.sequelize.query('LOCK TABLE ip_rules IN SHARE ROW EXCLUSIVE MODE', { transaction });
}

/**
 * Announces a change in its transaction: the version counter in Redis moves when the outbox relays
 * it, after the commit (a reload before it would cache the old list under the new version), so
 * every process reloads within about a second, and a crash or a Redis outage right after the
 * commit only delays it (the relay loop moves it later).
 */
function announce(fx: Effects): void {
  fx.refresh('ip-rules', ['all']);
}

/**
 * Replaces the whole IP rule list (PUT /admin/ip-rules) in one transaction: 409 `would_block_self`
 * when the list would refuse `callerIp`, the admin's own address.
 */
export async function replaceIpRules(
  rt: Runtime,
  adminId: string,
  rules: IpRuleInput[],
  callerIp: string,
  local: IpRules | null,
): Promise<void> {
  const allow = new CidrSet(rules.filter((r) => r.action === 'allow').map((r) => r.cidr));
  const deny = new CidrSet(rules.filter((r) => r.action === 'deny').map((r) => r.cidr));
  if (!decide(callerIp, allow, deny)) {
    throw new ConflictError(
      'would_block_self',
      `These rules would block your own address (${callerIp}); include it in an allow rule or leave it out of the deny rules`,
    );
  }
  await runCommand(rt, null, async (transaction, fx) => {
    await lockRules(rt, transaction);
    await rt.models.IpRule.destroy({ where: {}, transaction });
    await rt.models.IpRule.bulkCreate(
      rules.map((rule) => {
        const id = rt.snowflake.next();
        return {
          id,
          cidr: rule.cidr,
          action: rule.action,
          note: rule.note || null,
          created_by: adminId,
          created_at: new Date(decodeSnowflake(id).timestampMs),
        };
      }),
      { transaction },
    );
    announce(fx);
  });
  // This process's copy: at its next request, not up to a second later.
  local?.recheck();
}

/**
 * Deletes every IP rule (the CLI's `ip-rules clear`: the way back in after a lockout); returns how
 * many. Running processes drop their cached rules once the outbox relays the announcement (at
 * once, or when Redis answers again).
 */
export async function clearIpRules(rt: Runtime): Promise<number> {
  return runCommand(rt, null, async (transaction, fx) => {
    await lockRules(rt, transaction);
    const deleted = await rt.models.IpRule.destroy({ where: {}, transaction });
    announce(fx);
    return deleted;
  });
}
