import type { MessageRunner } from '../../shared/domain/interactions/answer.js';
import type { MessageUpdater } from '../../shared/domain/interactions/respond.js';
import type { Runtime } from '../../shared/runtime.js';
import { runMessageCommand } from '../messages/jobs.js';
import type { ApiServices } from '../services.js';

/** Message commands from the API: queued, then waited for up to queues.wait_timeout_ms. */
export function apiMessageRunner(rt: Runtime, services: ApiServices): MessageRunner {
  return async (jobId, job) => {
    const outcome = await runMessageCommand(rt, services, jobId, job);
    return outcome.done && outcome.result ? outcome.result : undefined;
  };
}

/** Message edits from the API, waited for the same way (null: done, the message is gone). */
export function apiMessageUpdater(rt: Runtime, services: ApiServices): MessageUpdater {
  return async (jobId, job) => {
    const outcome = await runMessageCommand(rt, services, jobId, job);
    if (!outcome.done) return undefined;
    return outcome.result ?? null;
  };
}
