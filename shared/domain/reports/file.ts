import { UniqueConstraintError } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { NotFoundError, ValidationError, ConflictError } from '../../errors.js';
import { runCommand } from '../../outbox/index.js';
import { Permission, ServerPolicy, channelAccessFor, has } from '../../permissions/index.js';
import { storedMessageObject } from '../../presenters/message.js';
import { presentOwnReport, type OwnReportObject } from '../../presenters/report.js';
import { unixSeconds } from '../../presenters/time.js';
import { storedUserObject } from '../../presenters/user.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { announceReport, type ReportInput } from './rules.js';

/** What is being reported, checked against what the reporter may see, with its snapshot. */
async function resolveTarget(rt: Runtime, reporterId: string, input: ReportInput) {
  if (input.target_type === 'message') {
    if (input.server_id !== undefined) {
      throw new ValidationError({
        server_id: 'only for user reports: a message report goes to its own server',
      });
    }
    const message = await rt.models.Message.findByPk(input.target_id);
    if (!message) throw new NotFoundError('message');
    // A message in a channel the reporter cannot read is as unknown as a missing one.
    const access = await channelAccessFor(rt, reporterId, message.channel_id);
    if (!access || !has(access.permissions, Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY)) {
      throw new NotFoundError('message');
    }
    if (message.author_id === reporterId && !message.webhook_id) {
      throw new ValidationError({ target_id: 'you cannot report your own message' });
    }
    const author = await rt.models.User.findByPk(message.author_id);
    return {
      server_id: access.channel.server_id,
      target_user_id: message.author_id,
      channel_id: message.channel_id,
      message_id: message.id,
      snapshot: {
        message: storedMessageObject(message),
        author: author ? storedUserObject(author) : null,
      },
    };
  }
  if (input.target_id === reporterId) throw new ValidationError({ target_id: 'you cannot report yourself' });
  const target = await rt.models.User.findByPk(input.target_id);
  if (!target) throw new NotFoundError('user');
  let member: Row<'Member'> | null = null;
  if (input.server_id !== undefined) {
    await ServerPolicy.load(rt, input.server_id, reporterId);
    member = await rt.models.Member.findOne({ where: { server_id: input.server_id, user_id: target.id } });
    if (!member) throw new NotFoundError('member');
  }
  return {
    server_id: input.server_id ?? null,
    target_user_id: target.id,
    channel_id: null,
    message_id: null,
    snapshot: {
      user: storedUserObject(target),
      ...(member ? { member: { nick: member.nick ?? null, joined_at: unixSeconds(member.joined_at) } } : {}),
    },
  };
}

/** Files a report; its moderators (and admins) get REPORT_CREATE. One open report per reporter and target. */
export async function createReport(
  rt: Runtime,
  reporterId: string,
  input: ReportInput,
): Promise<OwnReportObject> {
  const target = await resolveTarget(rt, reporterId, input);
  const id = rt.snowflake.next();
  try {
    return await runCommand(rt, null, async (transaction, fx) => {
      const report = await rt.models.Report.create(
        {
          id,
          reporter_id: reporterId,
          target_type: input.target_type,
          reason: input.reason,
          ...target,
          created_at: new Date(decodeSnowflake(id).timestampMs),
        },
        { transaction },
      );
      await announceReport(rt, fx, report, 'REPORT_CREATE');
      return presentOwnReport(report);
    });
  } catch (err) {
    if (err instanceof UniqueConstraintError) {
      throw new ConflictError('already_reported', 'You already have an open report about this');
    }
    throw err;
  }
}
