import type { Response } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError, ServiceUnavailableError } from '../../shared/errors.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import { messageJobId, type CreateMessageJob } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { runMessageCommand } from '../messages/jobs.js';
import type { ApiServices } from '../services.js';

/** Executions allowed per webhook per window (Discord's order of magnitude). */
export const WEBHOOK_RATE_LIMIT = { points: 30, duration_seconds: 60 };

/** The per-webhook execution limiter, shared by every API process through Redis. */
export function webhookLimiter(rt: Pick<Runtime, 'redis' | 'config'>): RateLimiterRedis {
  return new RateLimiterRedis({
    storeClient: rt.redis,
    keyPrefix: `${rt.config.redis.key_prefix}:ratelimit:webhook`,
    points: WEBHOOK_RATE_LIMIT.points,
    duration: WEBHOOK_RATE_LIMIT.duration_seconds,
  });
}

function setRateLimitHeaders(res: Response, webhookId: string, state: RateLimiterRes): void {
  const resetAfter = state.msBeforeNext / 1000;
  res.setHeader('X-RateLimit-Limit', String(WEBHOOK_RATE_LIMIT.points));
  res.setHeader('X-RateLimit-Remaining', String(Math.max(0, state.remainingPoints)));
  res.setHeader('X-RateLimit-Reset', ((Date.now() + state.msBeforeNext) / 1000).toFixed(3));
  res.setHeader('X-RateLimit-Reset-After', resetAfter.toFixed(3));
  res.setHeader('X-RateLimit-Bucket', `webhook:${webhookId}`);
}

/** Spends one execution of the webhook's budget; 429 with retry_after when none is left. */
export async function spendExecution(
  limiter: RateLimiterRedis,
  res: Response,
  webhookId: string,
): Promise<void> {
  try {
    setRateLimitHeaders(res, webhookId, await limiter.consume(webhookId));
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    setRateLimitHeaders(res, webhookId, err);
    throw new RateLimitedError(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
  }
}

/**
 * Queues a webhook message. With `wait`, waits for the worker like a user's send and returns the
 * stored message (null: still queued after queues.send_wait_ms); without, returns once queued.
 */
export async function postWebhookMessage(
  rt: Runtime,
  services: ApiServices,
  job: CreateMessageJob,
  wait: boolean,
): Promise<MessageObject | null> {
  const jobId = messageJobId('create', job.message.id);
  if (wait) {
    const outcome = await runMessageCommand(rt, services, jobId, job, {
      waitMs: rt.config.queues.send_wait_ms,
    });
    return outcome.done ? outcome.result : null;
  }
  try {
    await rt.queues.messages.add(job.kind, job, { jobId });
  } catch (err) {
    rt.logger.warn({ err: (err as Error).message }, 'could not queue a webhook message');
    throw new ServiceUnavailableError('Messages are unavailable right now, try again');
  }
  return null;
}
