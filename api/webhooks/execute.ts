import crypto from 'node:crypto';
import type { Response } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { hashToken } from '../../shared/auth/tokens.js';
import type { Row } from '../../shared/db/models/index.js';
import { NotFoundError, RateLimitedError, ServiceUnavailableError } from '../../shared/errors.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import { messageJobId, type CreateMessageJob } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { runMessageCommand } from '../messages/jobs.js';
import { richEmbedsJob } from '../messages/rich-embeds.js';
import type { RichEmbedInput } from '../routes/messages/schema.js';
import type { ApiServices } from '../services.js';

/** Executions allowed per webhook per window (Discord's order of magnitude). */
export const WEBHOOK_RATE_LIMIT = { points: 30, duration_seconds: 60 };

/** What an execution may carry (validated by executeBody). */
export interface ExecuteInput {
  content?: string;
  username?: string;
  avatar_url?: string;
  embeds?: RichEmbedInput[];
}

/** Compared against when the webhook does not exist, so both failures take the same work. */
const DUMMY_HASH = hashToken('no-such-webhook');

/**
 * The webhook whose id and token these are. Unknown id, deleted webhook and wrong token are all the
 * same 404 `unknown_webhook`; the hashes are compared in constant time.
 */
export async function authenticateWebhook(
  rt: Runtime,
  webhookId: string,
  token: string,
): Promise<Row<'Webhook'>> {
  const row = await rt.models.Webhook.findByPk(webhookId);
  const given = hashToken(token);
  const expected = row?.token_hash ?? DUMMY_HASH;
  const same = expected.length === given.length && crypto.timingSafeEqual(expected, given);
  if (!row || !same) throw new NotFoundError('webhook');
  return row;
}

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
 * The create job of a webhook message. It is stored under the webhook's creator (messages need a
 * user as author) with `webhook_id` and the name/avatar to show set. Mentions work as for a member
 * without MENTION_EVERYONE; link previews are made as for members with EMBED_LINKS.
 */
export function webhookMessageJob(
  rt: Runtime,
  webhook: Row<'Webhook'>,
  input: ExecuteInput,
): CreateMessageJob {
  return {
    kind: 'create',
    message: {
      id: rt.snowflake.next(),
      channel_id: webhook.channel_id,
      author_id: webhook.creator_id,
      content: input.content ?? '',
      nonce: null,
      allow_everyone: false,
      embed_links: true,
      webhook_id: webhook.id,
      webhook_author: {
        username: input.username ?? webhook.name,
        avatar_url: input.avatar_url ?? webhook.avatar_url,
      },
      ...richEmbedsJob(input.embeds),
    },
  };
}

/**
 * Queues a webhook message. With `wait`, waits for the worker like a user's send and returns the
 * stored message (null: still queued after queues.wait_timeout_ms); without, returns once queued.
 */
export async function postWebhookMessage(
  rt: Runtime,
  services: ApiServices,
  job: CreateMessageJob,
  wait: boolean,
): Promise<MessageObject | null> {
  const jobId = messageJobId('create', job.message.id);
  if (wait) {
    const outcome = await runMessageCommand(rt, services, jobId, job);
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
