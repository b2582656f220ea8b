import { ServiceUnavailableError } from '../../shared/errors.js';
import { queueSystemMessage, type SystemMessage } from '../../shared/messages/system-messages.js';
import type { Runtime } from '../../shared/runtime.js';

export {
  SYSTEM_MESSAGE_TYPES,
  isSystemMessage,
  type SystemMessage,
  type SystemMessageType,
} from '../../shared/messages/system-messages.js';

/**
 * Posts a system message through the `messages` queue like any other message (stored by the
 * worker, emitted as MESSAGE_CREATE) without waiting for it; returns its id. Call it after your
 * own change is committed: member_join (invites), channel_name_change (channel updates), and
 * thread_created (the threads code). pin_added is queued by the pin job itself.
 * Redis down: 503, nothing was queued.
 */
export async function postSystemMessage(rt: Runtime, notice: SystemMessage): Promise<string> {
  const id = rt.snowflake.next();
  try {
    await queueSystemMessage(rt, notice, id);
  } catch (err) {
    rt.logger.warn({ err: (err as Error).message, type: notice.type }, 'could not queue a system message');
    throw new ServiceUnavailableError('Messages are unavailable right now, try again');
  }
  return id;
}
