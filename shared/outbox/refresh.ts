import { QueryTypes } from 'sequelize';
import { forgetAutomod, rulesChanged } from '../automod/store.js';
import { forgetSubscriptions, invalidateSubscriptions } from '../integrations/outgoing-events.js';
import { ipRulesVersionKey } from '../net/ip-rules.js';
import { retireEpochs } from '../permissions/facts-cache.js';
import { refreshSubscriberFlags } from '../push/subscribers.js';
import type { Runtime } from '../runtime.js';
import { enforceVoiceInChannel, enforceVoiceInServer } from '../voice-chat/enforce.js';
import type { RefreshedCache } from './effects.js';

/** Which of `ids` have no row in `table` any more (deleted servers or channels): their keys are forgotten. */
async function deletedRows(
  rt: Pick<Runtime, 'sequelize'>,
  table: 'servers' | 'channels',
  ids: string[],
): Promise<Set<string>> {
  const rows = await rt.sequelize.query<{ id: string }>(
    `SELECT id FROM ${table} WHERE id = ANY($1::bigint[])`,
    {
      bind: [ids],
      type: QueryTypes.SELECT,
    },
  );
  const alive = new Set(rows.map((r) => String(r.id)));
  return new Set(ids.filter((id) => !alive.has(id)));
}

const deletedServers = (rt: Pick<Runtime, 'sequelize'>, ids: string[]) => deletedRows(rt, 'servers', ids);

/**
 * Brings `cache` for `ids` in line with the committed rows (a `refresh` effect, relayed after the
 * commit): each recomputes from Postgres or forgets its key, so relaying it again changes nothing.
 * A deleted server's AutoMod and subscription keys are deleted, not recomputed; a deleted server's
 * or channel's permission epochs are set to expire.
 */
export async function refreshCache(
  rt: Pick<Runtime, 'config' | 'redis' | 'models' | 'sequelize' | 'events'>,
  cache: RefreshedCache,
  ids: string[],
): Promise<void> {
  const prefix = rt.config.redis.key_prefix;
  switch (cache) {
    case 'automod': {
      const gone = await deletedServers(rt, ids);
      for (const serverId of ids) {
        if (gone.has(serverId)) await forgetAutomod(rt.redis, prefix, serverId);
        else await rulesChanged(rt, prefix, serverId);
      }
      return;
    }
    case 'event-webhooks': {
      const gone = await deletedServers(rt, ids);
      for (const serverId of ids) {
        if (gone.has(serverId)) await forgetSubscriptions(rt, serverId);
        else await invalidateSubscriptions(rt, serverId);
      }
      return;
    }
    case 'push':
      await refreshSubscriberFlags(rt, ids);
      return;
    case 'ip-rules':
      // A move of the counter only makes every process reload the committed list: a repeat is harmless.
      await rt.redis.incr(ipRulesVersionKey(prefix));
      return;
    case 'voice':
      for (const serverId of ids) await enforceVoiceInServer(rt, serverId);
      return;
    case 'voice-channel':
      for (const channelId of ids) await enforceVoiceInChannel(rt, channelId);
      return;
    case 'server-epochs':
      await retireEpochs(rt.redis, prefix, { servers: [...(await deletedServers(rt, ids))] });
      return;
    case 'channel-epochs':
      await retireEpochs(rt.redis, prefix, { channels: [...(await deletedRows(rt, 'channels', ids))] });
      return;
  }
}
