import { recordSecurityEvent } from '../auth/security-events.js';
import type { Runtime } from '../runtime.js';
import { CidrSet } from './ip.js';

/** The Redis counter that moves whenever the rules change (every process's cache watches it). */
export const ipRulesVersionKey = (prefix: string): string => `${prefix}:ip_rules:version`;

/** How often a process asks Redis whether another process changed the rules. */
const REFRESH_MS = 1000;

/**
 * The rule decision, on its own: deny wins; when any allow rule exists the allow list is an
 * allowlist (every address outside it is refused); with no rules at all everything passes.
 */
export function decide(ip: string, allow: CidrSet, deny: CidrSet): boolean {
  if (deny.has(ip)) return false;
  return allow.size === 0 || allow.has(ip);
}

/**
 * The admin-managed allow/deny CIDR lists. A request is refused when its IP is in a deny rule, or
 * when allow rules exist and its IP is in none of them (an allowlist). Rules are cached in memory
 * and reloaded when the version counter in Redis moves, so a change reaches every process within
 * about a second.
 */
export class IpRules {
  private allow = new CidrSet([]);
  private deny = new CidrSet([]);
  private version: string | null = null;
  private checkedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(private readonly rt: Pick<Runtime, 'config' | 'redis' | 'models' | 'snowflake' | 'logger'>) {}

  private get versionKey(): string {
    return ipRulesVersionKey(this.rt.config.redis.key_prefix);
  }

  private async refresh(): Promise<void> {
    if (Date.now() - this.checkedAt < REFRESH_MS) return;
    this.loading ??= (async () => {
      const version = (await this.rt.redis.get(this.versionKey).catch(() => this.version)) ?? '0';
      if (version !== this.version) {
        const rules = await this.rt.models.IpRule.findAll();
        this.allow = new CidrSet(rules.filter((r) => r.action === 'allow').map((r) => r.cidr));
        this.deny = new CidrSet(rules.filter((r) => r.action === 'deny').map((r) => r.cidr));
        this.version = version;
      }
      this.checkedAt = Date.now();
    })().finally(() => {
      this.loading = null;
    });
    await this.loading;
  }

  /** Whether `ip` may make requests. */
  async allows(ip: string): Promise<boolean> {
    await this.refresh();
    return decide(ip, this.allow, this.deny);
  }

  /** Looks at the version counter on the next check instead of up to REFRESH_MS later. */
  recheck(): void {
    this.checkedAt = 0;
  }

  /**
   * Records that `ip` was refused, at most once per IP per minute: a blocked flood must not flood
   * the event log too.
   */
  async recordBlocked(ip: string, where: string): Promise<void> {
    const first = await this.rt.redis
      .set(`${this.rt.config.redis.key_prefix}:ip_blocked:${ip}`, '1', 'EX', 60, 'NX')
      .catch(() => null);
    if (first) await recordSecurityEvent(this.rt, 'ip_blocked', { ip, details: { path: where } });
  }
}
