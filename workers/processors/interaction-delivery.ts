import { QueueEvents } from 'bullmq';
import type Joi from 'joi';
import type { DeliveryAttempt, DeliveryStatus, Row } from '../../shared/db/models/index.js';
import {
  acceptCallback,
  failInteraction,
  type CallbackInput,
  type MessageRunner,
} from '../../shared/domain/interactions/answer.js';
import { callbackBody } from '../../shared/domain/interactions/callback-schema.js';
import { interactionsSecret } from '../../shared/domain/interactions/secret.js';
import {
  isAnswered,
  loadInteraction,
  readAck,
  type InteractionRecord,
} from '../../shared/domain/interactions/store.js';
import { ApiError } from '../../shared/errors.js';
import { webhookSecretBox } from '../../shared/integrations/event-webhooks.js';
import {
  interactionBody,
  queueInteractionAttempt,
} from '../../shared/integrations/interaction-deliveries.js';
import { SIGNATURE_HEADER, signPayload } from '../../shared/integrations/signature.js';
import {
  bullPrefix,
  isUnfinishedWait,
  type InteractionDeliverJob,
  type WebhooksResult,
} from '../../shared/queues/index.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import { createRedis } from '../../shared/redis.js';
import type { Runtime } from '../../shared/runtime.js';
import { clip, jitteredBackoff, postAttempt, type AttemptOutcome } from './outbound-attempt.js';

/** Most bytes read of an interactions endpoint's answer (a callback with 10 full embeds fits). */
const MAX_ANSWER_BYTES = 256 * 1024;

/** An attempt starts (or is scheduled) only with this much of the deadline left: an answer needs time. */
const MIN_ATTEMPT_MS = 100;

/** Why an answer could not be handled after a 2xx (the interaction fails with it). */
const UNHANDLED_ANSWER = 'its answer could not be handled';

/**
 * Message commands from the worker: queued, then waited for (queues.wait_timeout_ms) on a
 * QueueEvents of the messages queue, opened now so it is listening long before the first answer.
 */
export function workerMessageRunner(rt: Runtime): MessageRunner {
  const connection = createRedis(rt.config, 'worker', rt.logger);
  const events = new QueueEvents('messages', { connection, prefix: bullPrefix(rt.config) });
  events.on('error', (err) => rt.logger.warn({ err: err.message }, 'messages queue events error'));
  // Each answer being waited for listens on both until it finishes: up to the webhooks
  // concurrency at once is expected, not a leak.
  events.setMaxListeners(0);
  rt.queues.messages.setMaxListeners(0);
  rt.lifecycle.add('interaction answers queue events', async () => {
    await events.close();
    connection.disconnect();
  });
  return async (jobId, data) => {
    const job = await rt.queues.messages.add(data.kind, data, { jobId });
    try {
      return (await job.waitUntilFinished(events, rt.config.queues.wait_timeout_ms)) as MessageObject;
    } catch (err) {
      // Still queued: the answer is posted when it runs; the user is told it is on its way.
      if (isUnfinishedWait(err)) return undefined;
      throw err;
    }
  };
}

/** What the body of a 2xx means: an answer, no answer (it comes through the callback route), or a problem. */
function readAnswer(text: string): { callback: CallbackInput | null } | { problem: string } {
  if (text.trim() === '') return { callback: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'its interactions endpoint answered something other than JSON' };
  }
  const checked: Joi.ValidationResult<CallbackInput> = callbackBody.validate(parsed, { convert: true });
  if (checked.error) return { problem: `its answer is not a valid callback (${checked.error.message})` };
  return { callback: checked.value };
}

/** The end of a delivery that sends nothing more, and what the interaction is told. */
interface Stop {
  go: false;
  status: DeliveryStatus;
  error: string;
  /** Fail the interaction with this reason (the user would otherwise wait for the deadline). */
  fail?: { record: InteractionRecord; reason: string };
}

/** What this attempt is made for, or why nothing is sent (any more). */
async function checkAttempt(
  rt: Runtime,
  delivery: Row<'InteractionDelivery'>,
): Promise<Stop | { go: true; record: InteractionRecord; url: string; app: Row<'Application'> }> {
  const record = await loadInteraction(rt, delivery.interaction_id);
  if (!record) return { go: false, status: 'failed', error: 'cancelled: the interaction is gone' };
  const app = await rt.models.Application.findByPk(delivery.application_id);
  if (!app?.interactions_url) {
    return {
      go: false,
      status: 'failed',
      error: 'cancelled: the application no longer has an interactions_url',
      fail: { record, reason: 'its interactions endpoint was removed' },
    };
  }
  const ack = await readAck(rt, record.id);
  if (ack) {
    const what = isAnswered(ack) ? 'answered' : 'over';
    return {
      go: false,
      status: 'failed',
      error: `cancelled: the interaction was ${what} before this attempt`,
    };
  }
  if (delivery.deadline_at.getTime() - Date.now() < MIN_ATTEMPT_MS) {
    return { go: false, status: 'dead', error: 'the deadline passed before this attempt' };
  }
  return { go: true, record, url: app.interactions_url, app };
}

/** What one attempt leads to: the delivery's status, when to try again, and what the interaction gets. */
interface Verdict {
  status: DeliveryStatus;
  error: string | null;
  delayMs: number | null;
  /** Fail the interaction with this reason. */
  fail: string | null;
  /** The application's answer, to take. */
  callback: CallbackInput | null;
}

function judge(
  rt: Runtime,
  delivery: Row<'InteractionDelivery'>,
  attempt: number,
  outcome: AttemptOutcome,
): Verdict {
  const verdict: Verdict = {
    status: 'failed',
    error: outcome.error,
    delayMs: null,
    fail: null,
    callback: null,
  };
  if (outcome.ok) {
    const answer = readAnswer(outcome.answer ?? '');
    if ('problem' in answer) return { ...verdict, error: clip(answer.problem), fail: answer.problem };
    return { ...verdict, status: 'succeeded', callback: answer.callback };
  }
  // Out of time: the deadline fails it (and a callback through the route may still win the race).
  if (outcome.errorCode === 'timeout') return { ...verdict, status: 'dead' };
  const reason =
    outcome.statusCode !== null
      ? `its interactions endpoint answered ${outcome.statusCode}`
      : `its interactions endpoint could not be reached (${outcome.errorCode ?? 'fetch_failed'})`;
  if (!outcome.retryable) return { ...verdict, fail: reason };
  const { max_attempts: maxAttempts, retry_base_ms: base, deadline_ms: deadline } = rt.config.interactions;
  const wait = outcome.retryAfterMs ?? jitteredBackoff(base, deadline, attempt);
  const inTime = Date.now() + wait + MIN_ATTEMPT_MS < delivery.deadline_at.getTime();
  if (attempt < maxAttempts && inTime) return { ...verdict, status: 'pending', delayMs: wait };
  return { ...verdict, status: 'dead', fail: reason };
}

/**
 * One attempt of an interaction delivery: POSTs the interaction to the application's
 * interactions_url, signed with its interactions secret (X-Plexichat-Signature), bounded by the
 * interaction's deadline. A 2xx with a JSON body is the first answer (a callback object), taken
 * as the callback route would; a 2xx without a body means the application answers through the
 * callback route. 408, 429, 5xx and unreachable endpoints are retried with backoff while the
 * deadline leaves time; anything else fails the interaction at once. Every attempt goes into the
 * delivery log first, then the user hears the outcome. Updates are conditional on the row still
 * being at this attempt, so a job run twice changes nothing.
 */
export async function deliverInteraction(
  rt: Runtime,
  job: InteractionDeliverJob,
  runMessage: MessageRunner,
): Promise<WebhooksResult> {
  const { InteractionDelivery } = rt.models;
  const delivery = await InteractionDelivery.findByPk(job.delivery_id);
  if (!delivery || delivery.status !== 'pending') return 'skipped';
  if (delivery.attempts >= job.attempt) {
    // Recorded by an earlier run that stopped before queueing the next attempt: queue it now.
    if (delivery.attempts === job.attempt && delivery.next_attempt_at) {
      const delay = delivery.next_attempt_at.getTime() - Date.now();
      await queueInteractionAttempt(rt, delivery.id, job.attempt + 1, delay);
    }
    return 'skipped';
  }
  const atThisAttempt = { id: delivery.id, status: 'pending', attempts: job.attempt - 1 };
  const check = await checkAttempt(rt, delivery);
  if (!check.go) {
    const [updated] = await InteractionDelivery.update(
      {
        status: check.status,
        last_error: check.error,
        sealed_token: null,
        next_attempt_at: null,
        completed_at: new Date(),
      },
      { where: atThisAttempt },
    );
    if (updated === 0) return 'skipped';
    if (check.fail) await failInteraction(rt, check.fail.record, check.fail.reason);
    return check.status;
  }
  const { record, app, url } = check;

  const secret = await interactionsSecret(rt, webhookSecretBox(rt.config), app);
  const body = interactionBody(rt.config, delivery);
  const startedAt = Date.now();
  const outcome = await postAttempt(rt, {
    url,
    body,
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signPayload(secret, body),
      'x-plexichat-interaction-id': record.id,
    },
    timeoutMs: Math.max(MIN_ATTEMPT_MS, delivery.deadline_at.getTime() - startedAt),
    maxBytes: MAX_ANSWER_BYTES,
    readAnswer: true,
  });
  const verdict = judge(rt, delivery, job.attempt, outcome);
  const entry: DeliveryAttempt = {
    attempt: job.attempt,
    started_at: startedAt,
    finished_at: Date.now(),
    status_code: outcome.statusCode,
    error: verdict.error,
    latency_ms: outcome.latencyMs,
  };
  const ended = verdict.status !== 'pending';
  const now = new Date();
  const [updated] = await InteractionDelivery.update(
    {
      status: verdict.status,
      attempts: job.attempt,
      attempt_log: [...delivery.attempt_log, entry],
      last_status_code: outcome.statusCode,
      last_error: verdict.error,
      last_latency_ms: outcome.latencyMs,
      next_attempt_at: verdict.delayMs === null ? null : new Date(now.getTime() + verdict.delayMs),
      completed_at: ended ? now : null,
      ...(ended ? { sealed_token: null } : {}),
    },
    { where: atThisAttempt },
  );
  if (updated === 0) return 'skipped';
  if (verdict.delayMs !== null)
    await queueInteractionAttempt(rt, delivery.id, job.attempt + 1, verdict.delayMs);
  if (verdict.fail) await failInteraction(rt, record, verdict.fail);
  if (verdict.callback) return takeAnswer(rt, runMessage, delivery, record, verdict.callback, entry);
  return verdict.status;
}

/**
 * Takes the answer found in a 2xx body. One that lost the race (answered through the callback
 * route first, or too late) is only noted in the log, the delivery having succeeded; one that
 * cannot be posted fails the interaction and turns the delivery `failed`, saying why.
 */
async function takeAnswer(
  rt: Runtime,
  runMessage: MessageRunner,
  delivery: Row<'InteractionDelivery'>,
  record: InteractionRecord,
  callback: CallbackInput,
  entry: DeliveryAttempt,
): Promise<WebhooksResult> {
  const note = async (status: DeliveryStatus, error: string): Promise<void> => {
    await rt.models.InteractionDelivery.update(
      { status, last_error: error, attempt_log: [...delivery.attempt_log, { ...entry, error }] },
      { where: { id: delivery.id, status: 'succeeded' } },
    );
  };
  try {
    await acceptCallback(rt, runMessage, record, callback);
    return 'succeeded';
  } catch (err) {
    if (err instanceof ApiError && (err.status === 409 || err.status === 410)) {
      await note('succeeded', `its answer was not taken (${err.code})`);
      return 'succeeded';
    }
    rt.logger.warn({ err, interaction: record.id }, 'interaction answer not taken');
    await note('failed', `${UNHANDLED_ANSWER} (${err instanceof ApiError ? err.code : 'internal error'})`);
    await failInteraction(rt, record, UNHANDLED_ANSWER).catch(() => undefined);
    return 'failed';
  }
}
