import { InteractionFailedError } from '../../shared/errors.js';
import {
  checkInvocation,
  reachDeadline,
  startInteraction,
  type InvokeInput,
} from '../../shared/domain/interactions/invoke.js';
import { readOutcome, type Outcome } from '../../shared/domain/interactions/store.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import type { Runtime } from '../../shared/runtime.js';
import type { AuthContext } from '../auth/context.js';
import type { OutcomeWaiter } from './waiter.js';

/** What the invoking user is answered. */
export interface InteractionResult {
  id: string;
  status: 'message' | 'ephemeral' | 'deferred';
  message?: MessageObject;
}

/** The answer once an outcome is known. */
function finish(id: string, outcome: Outcome): InteractionResult {
  if ('failed' in outcome) throw new InteractionFailedError(outcome.failed);
  return { id, status: outcome.status, ...(outcome.message ? { message: outcome.message } : {}) };
}

/**
 * POST /interactions: a user invokes a slash command. The invocation is checked and started
 * (shared/domain/interactions/invoke.ts) and the request waits for the first answer until
 * interactions.deadline_ms: then it fails with 504 `interaction_timeout` and a late answer is refused.
 */
export async function invokeCommand(
  rt: Runtime,
  waiter: OutcomeWaiter,
  auth: AuthContext,
  input: InvokeInput,
): Promise<InteractionResult> {
  const invocation = await checkInvocation(rt, { user: auth.user, bot: auth.kind === 'bot' }, input);
  const { record } = invocation;
  const { id } = record;
  const listener = await waiter.listen(id);
  try {
    await startInteraction(rt, invocation);
    const outcome = await listener.next(Math.max(0, record.deadline_at - Date.now()));
    if (outcome) return finish(id, outcome);
    const end = await reachDeadline(rt, record);
    if ('outcome' in end) return finish(id, end.outcome);
    // Taken in time; its message is still being stored.
    const late = (await listener.next(rt.config.queues.wait_timeout_ms)) ?? (await readOutcome(rt, id));
    if (late) return finish(id, late);
    return { id, status: end.taken };
  } finally {
    listener.close();
  }
}
