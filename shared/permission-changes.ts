import { syncChannelRooms } from './permissions/index.js';
import type { Runtime } from './runtime.js';
import { enforceVoicePermissions } from './voice-chat/enforce.js';

/**
 * What follows a change of `userIds`' permissions in `serverId` (roles, overwrites, membership), at
 * once and on every process: their gateway rooms follow what they may see (`announce`: with
 * CHANNEL_CREATE / CHANNEL_DELETE), and their live voice sessions follow what they may do there.
 */
export async function permissionsChanged(
  rt: Pick<Runtime, 'models' | 'events' | 'redis' | 'config'>,
  serverId: string,
  userIds: string[],
  options: { announce?: boolean } = {},
): Promise<void> {
  await syncChannelRooms(rt, serverId, userIds, options);
  await enforceVoicePermissions(rt, serverId, userIds);
}
