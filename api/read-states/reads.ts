import { NotFoundError } from '../../shared/errors.js';
import { visibleChannels } from '../../shared/permissions/index.js';
import type { ReadStateObject } from '../../shared/presenters/read-state.js';
import { loadReadStates } from '../../shared/read-states.js';
import type { Runtime } from '../../shared/runtime.js';

/** The caller's read state in one channel after an ack (archived threads included). */
export async function readStateIn(rt: Runtime, userId: string, channelId: string): Promise<ReadStateObject> {
  const [state] = await loadReadStates(rt, userId, [channelId], { archivedThreads: true });
  if (!state) throw new NotFoundError('channel');
  return state;
}

/** GET /users/@me/read-states: the caller's read state in every channel they can see (as READY). */
export async function listReadStates(rt: Runtime, userId: string): Promise<ReadStateObject[]> {
  const channels = await visibleChannels(rt, userId);
  return loadReadStates(
    rt,
    userId,
    channels.map((c) => c.id),
  );
}
