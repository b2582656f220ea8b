import { InteractionFailedError, InteractionTimeoutError } from '../../shared/errors.js';
import {
  checkInvocation,
  startInteraction,
  type InvokeInput,
} from '../../shared/domain/interactions/invoke.js';
import { claimAck, isAnswered, readOutcome, type Outcome } from '../../shared/domain/interactions/store.js';
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
  const deadlineMs = rt.config.interactions.deadline_ms;
  const listener = await waiter.listen(id);
  try {
    await startInteraction(rt, invocation);
    const outcome = await listener.next(Math.max(0, record.deadline_at - Date.now()));
    if (outcome) return finish(id, outcome);
    // The deadline: fail the interaction unless an answer was taken just before it.
    const existing = await claimAck(rt, record, { type: 'expired' });
    if (existing === null) throw new InteractionTimeoutError(deadlineMs);
    if (!isAnswered(existing)) {
      const failed = await readOutcome(rt, id);
      if (failed) return finish(id, failed);
      throw new InteractionTimeoutError(deadlineMs);
    }
    // Taken in time; its message is still being stored.
    const late = (await listener.next(rt.config.queues.wait_timeout_ms)) ?? (await readOutcome(rt, id));
    if (late) return finish(id, late);
    return { id, status: existing.type as InteractionResult['status'] };
  } finally {
    listener.close();
  }
}
