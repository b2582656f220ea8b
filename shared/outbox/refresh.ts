import { rulesChanged } from '../automod/store.js';
import { invalidateSubscriptions } from '../integrations/outgoing-events.js';
import { ipRulesVersionKey } from '../net/ip-rules.js';
import { refreshSubscriberFlags } from '../push/subscribers.js';
import type { Runtime } from '../runtime.js';
import type { RefreshedCache } from './effects.js';

/**
 * Brings `cache` for `ids` in line with the committed rows (a `refresh` effect, relayed after the
 * commit): each recomputes from Postgres or forgets its key, so relaying it again changes nothing.
 */
export async function refreshCache(
  rt: Pick<Runtime, 'config' | 'redis' | 'models' | 'sequelize'>,
  cache: RefreshedCache,
  ids: string[],
): Promise<void> {
  switch (cache) {
    case 'automod':
      for (const serverId of ids) await rulesChanged(rt, rt.config.redis.key_prefix, serverId);
      return;
    case 'event-webhooks':
      for (const serverId of ids) await invalidateSubscriptions(rt, serverId);
      return;
    case 'push':
      await refreshSubscriberFlags(rt, ids);
      return;
    case 'ip-rules':
      // A move of the counter only makes every process reload the committed list: a repeat is harmless.
      await rt.redis.incr(ipRulesVersionKey(rt.config.redis.key_prefix));
      return;
  }
}
