import { ApiError, ServiceUnavailableError } from '../../shared/errors.js';
import { screeningOn } from '../../shared/automod/store.js';
import type { Row } from '../../shared/db/models/index.js';
import { Permission, has, type ServerPolicy } from '../../shared/permissions/index.js';
import type { AutomodResult, CreateMessageJob, UpdateMessageJob } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { awaitMessageCommand, runMessageCommand, type CommandOutcome } from '../messages/jobs.js';
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
 * API then waits on that command as usual.
 */
export async function runScreenedCommand(
  rt: Runtime,
  services: ApiServices,
  jobId: string,
  command: CreateMessageJob | UpdateMessageJob,
  where: { channel: Row<'Channel'>; policy: ServerPolicy | null; authorId: string },
): Promise<CommandOutcome> {
  const { channel, policy } = where;
  if (
    !policy ||
    channel.server_id === null ||
    has(policy.permissions, Permission.MANAGE_SERVER) ||
    !(await screeningOn(rt.redis, rt.config.redis.key_prefix, channel.server_id).catch(() => false))
  ) {
    return runMessageCommand(rt, services, jobId, command);
  }
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
    rt.logger.warn({ err: (err as Error).message }, 'could not queue an automod screening');
    throw new ServiceUnavailableError('Messages are unavailable right now, try again');
  }
  let result: AutomodResult;
  try {
    result = await job.waitUntilFinished(
      services.queueEvents.events.automod,
      rt.config.queues.wait_timeout_ms,
    );
  } catch (err) {
    if (/timed out/i.test((err as Error).message)) return { done: false };
    throw err;
  }
  if (result.blocked) throw new AutomodBlockedError(result.blocked);
  return (await awaitMessageCommand(rt, services, jobId)) ?? { done: false };
}
