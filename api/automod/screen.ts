import { ApiError, ServiceUnavailableError } from '../../shared/errors.js';
import { screeningOn } from '../../shared/automod/store.js';
import type { Row } from '../../shared/db/models/index.js';
import { Permission, has, type ServerPolicy } from '../../shared/permissions/index.js';
import type { AutomodResult, CreateMessageJob, UpdateMessageJob } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import {
  awaitMessageCommand,
  listenFirst,
  outcomeOf,
  runMessageCommand,
  type CommandOutcome,
} from '../messages/jobs.js';
import type { ApiServices } from '../services.js';

/** 400: an AutoMod rule with the block action matched; nothing was stored or delivered. */
export class AutomodBlockedError extends ApiError {
  constructor(blocked: NonNullable<AutomodResult['blocked']>) {
    super(
      400,
      'automod_blocked',
      `Blocked by AutoMod rule "${blocked.rule_name}"`,
      { content: `blocked by AutoMod rule "${blocked.rule_name}"` },
      { rule_id: blocked.rule_id, rule_name: blocked.rule_name },
    );
  }
}

/**
 * Runs a member's message (or edit) through AutoMod when their server has rules, else straight to
 * the messages queue. Members with MANAGE_SERVER are not screened (Discord's default). Screening
 * is one more job: the `automod` worker queues the message command itself when it passes, so the
 * API then waits on that command as usual. `jobId` names a new command (a fresh snowflake in it),
 * so its events are listened for before it is queued. `screening`: the server's AutoMod flag when
 * the caller read it already (messageAccess), else it is read here. `waitMs` (default
 * queues.wait_timeout_ms) bounds the whole wait, screening and command together.
 */
export async function runScreenedCommand(
  rt: Runtime,
  services: ApiServices,
  jobId: string,
  command: CreateMessageJob | UpdateMessageJob,
  where: { channel: Row<'Channel'>; policy: ServerPolicy | null; authorId: string; screening?: boolean },
  waitMs = rt.config.queues.wait_timeout_ms,
): Promise<CommandOutcome> {
  const { channel, policy } = where;
  const deadline = Date.now() + waitMs;
  if (
    !policy ||
    channel.server_id === null ||
    has(policy.permissions, Permission.MANAGE_SERVER) ||
    !(
      where.screening ??
      (await screeningOn(rt.redis, rt.config.redis.key_prefix, channel.server_id).catch(() => false))
    )
  ) {
    return runMessageCommand(rt, services, jobId, command, { fresh: true, waitMs });
  }
  const events = services.queueEvents.events.automod;
  // The screening job's id is as fresh as the command's (a new snowflake in it): listen first.
  const early = listenFirst(events, `automod-${jobId}`, waitMs);
  let job;
  try {
    job = await rt.queues.automod.add(
      'screen',
      {
        kind: 'screen',
        job_id: jobId,
        command,
        server_id: channel.server_id,
        author_id: where.authorId,
        channel_id: channel.id,
        parent_id: channel.parent_id ?? null,
        author_role_ids: policy.facts.roles.map((r) => r.id),
      },
      { jobId: `automod-${jobId}` },
    );
  } catch (err) {
    early?.cancel();
    rt.logger.warn({ err: (err as Error).message }, 'could not queue an automod screening');
    throw new ServiceUnavailableError('Messages are unavailable right now, try again');
  }
  const screened = await outcomeOf<AutomodResult>(early?.finished ?? job.waitUntilFinished(events, waitMs));
  if (!screened.done) return { done: false };
  const result = screened.result;
  if (result.blocked) throw new AutomodBlockedError(result.blocked);
  // What is left of the wait (a moment at least: the command may be done already).
  const left = Math.max(100, deadline - Date.now());
  return (await awaitMessageCommand(rt, services, jobId, left)) ?? { done: false };
}
