import type { Redis } from 'ioredis';
import type { Models, Row } from '../db/models/index.js';
import { compileRule, type CompiledRule } from './rules.js';

/** Redis keys of a server's AutoMod state. */
const keys = (prefix: string, serverId: string) => ({
  /** Present while the server has an enabled rule: the API's one cheap check per message. */
  on: `${prefix}:automod:on:${serverId}`,
  /** Bumped on every change: workers reload their compiled copy when it moves. */
  version: `${prefix}:automod:ver:${serverId}`,
});

/** The key present while messages of `serverId` must be screened (read with others: messageAccess). */
export function screeningKey(prefix: string, serverId: string): string {
  return keys(prefix, serverId).on;
}

/** Whether messages of `serverId` must be screened (no rules: no extra hop at all). */
export async function screeningOn(redis: Redis, prefix: string, serverId: string): Promise<boolean> {
  return (await redis.exists(keys(prefix, serverId).on)) === 1;
}

/** After any rule change: recomputes the flag and bumps the version workers compare against. */
export async function rulesChanged(
  rt: { redis: Redis; models: Models },
  prefix: string,
  serverId: string,
): Promise<void> {
  const k = keys(prefix, serverId);
  const enabled = await rt.models.AutomodRule.count({ where: { server_id: serverId, enabled: true } });
  const multi = rt.redis.multi().incr(k.version);
  if (enabled > 0) multi.set(k.on, '1');
  else multi.del(k.on);
  await multi.exec();
}

/** A deleted server's AutoMod keys go (its rules went with it; nothing screens there any more). */
export async function forgetAutomod(redis: Redis, prefix: string, serverId: string): Promise<void> {
  const k = keys(prefix, serverId);
  await redis.del(k.on, k.version);
}

/**
 * Compiled rules per server, kept in the worker's memory and reloaded only when the server's
 * version moved: one Redis GET per screened message, no database query, no recompiling.
 */
export class RuleCache {
  private readonly byServer = new Map<string, { version: string; rules: CompiledRule[] }>();

  constructor(
    private readonly rt: { redis: Redis; models: Models },
    private readonly prefix: string,
  ) {}

  async rules(serverId: string): Promise<CompiledRule[]> {
    const version = (await this.rt.redis.get(keys(this.prefix, serverId).version)) ?? '0';
    const cached = this.byServer.get(serverId);
    if (cached && cached.version === version) return cached.rules;
    const rows: Row<'AutomodRule'>[] = await this.rt.models.AutomodRule.findAll({
      where: { server_id: serverId, enabled: true },
      order: [['id', 'ASC']],
    });
    const rules = rows.map((r) => compileRule(r));
    this.byServer.set(serverId, { version, rules });
    return rules;
  }
}
