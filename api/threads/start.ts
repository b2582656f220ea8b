import { UniqueConstraintError } from 'sequelize';
import { diff, recordAudit } from '../../shared/audit.js';
import { invalidate } from '../../shared/domain/invalidation.js';
import type { Row } from '../../shared/db/models/index.js';
import { ApiError, ConflictError, NotFoundError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { Permission } from '../../shared/permissions/index.js';
import { channelViewers, threadAudienceRoom } from '../../shared/permissions/viewers.js';
import { presentThread, type ThreadObject } from '../../shared/presenters/thread.js';
import { messageJobId } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { runMessageCommand } from '../messages/jobs.js';
import { isSystemMessage, postSystemMessage } from '../messages/system-messages.js';
import type { ApiServices } from '../services.js';
import { loadThreadParent } from './access.js';

/** What starts a thread. */
export interface ThreadStart {
  name: string;
  auto_archive_minutes?: number;
  /** Only without a starter message (a message's thread is public). Default public_thread. */
  type?: 'public_thread' | 'private_thread';
}

/** The audit entry's view of a thread. */
export function threadAuditFields(
  thread: Row<'Channel'>,
  meta: Row<'ThreadMetadata'>,
): Record<string, unknown> {
  return {
    name: thread.name,
    parent_id: thread.parent_id,
    archived: meta.archived,
    locked: meta.locked,
    auto_archive_minutes: meta.auto_archive_minutes,
  };
}

/**
 * Starts a thread in a text channel (CREATE_THREADS there), from `messageId` (always public) or
 * without a message (public, or private with `type`). One transaction stores the thread channel,
 * its metadata and its creator as first member (a message starts at most one thread: 409
 * `thread_exists`). Then its viewers join the thread's room and receive THREAD_CREATE; for a
 * public thread the starter message gets its `thread_id` (MESSAGE_UPDATE) and a `thread_created`
 * notice is posted in the parent, both through the messages queue. The thread copies the parent's
 * slowmode and nsfw flag.
 */
export async function startThread(
  rt: Runtime,
  services: ApiServices,
  parentId: string,
  messageId: string | null,
  actorId: string,
  body: ThreadStart,
  reason: string | null,
): Promise<ThreadObject> {
  const needed = Permission.CREATE_THREADS | (messageId ? Permission.READ_MESSAGE_HISTORY : 0n);
  const { parent, policy } = await loadThreadParent(rt, parentId, actorId, needed);
  const { Channel, Message, ThreadMetadata, ThreadMember } = rt.models;
  let starter: Row<'Message'> | null = null;
  if (messageId) {
    starter = await Message.findOne({ where: { id: messageId, channel_id: parent.id } });
    if (!starter) throw new NotFoundError('message');
    if (isSystemMessage(starter.type)) {
      throw new ApiError(400, 'invalid_message', 'A thread cannot start from a system message');
    }
    if (starter.thread_id) throw threadExists();
  }
  const id = rt.snowflake.next();
  const createdAt = new Date(decodeSnowflake(id).timestampMs);
  let created: { thread: Row<'Channel'>; meta: Row<'ThreadMetadata'> };
  try {
    created = await rt.sequelize.transaction(async (transaction) => {
      const thread = await Channel.create(
        {
          id,
          server_id: policy.server.id,
          parent_id: parent.id,
          name: body.name,
          channel_type: messageId ? 'public_thread' : (body.type ?? 'public_thread'),
          nsfw: parent.nsfw,
          slowmode_seconds: parent.slowmode_seconds,
          created_at: createdAt,
        },
        { transaction },
      );
      await invalidate(rt, { channels: [id] }, transaction);
      const meta = await ThreadMetadata.create(
        {
          channel_id: id,
          owner_id: actorId,
          starter_message_id: starter?.id ?? null,
          auto_archive_minutes: body.auto_archive_minutes ?? 1440,
          member_count: 1,
          last_activity_at: createdAt,
        },
        { transaction },
      );
      await ThreadMember.create({ thread_id: id, user_id: actorId, joined_at: createdAt }, { transaction });
      await recordAudit(
        rt,
        {
          serverId: policy.server.id,
          actorId,
          action: 'thread_create',
          targetType: 'channel',
          targetId: id,
          changes: diff({}, threadAuditFields(thread, meta)),
          reason,
        },
        transaction,
      );
      return { thread, meta };
    });
  } catch (err) {
    // Two requests raced to start a thread from the same message.
    if (err instanceof UniqueConstraintError) throw threadExists();
    throw err;
  }
  const room = rooms.channel(id);
  if (created.thread.channel_type === 'private_thread') {
    // Its viewers: the creator and whoever may manage threads in the parent.
    for (const userId of await channelViewers(rt, created.thread, 'everyone')) {
      await rt.events.joinRooms(rooms.user(userId), [room]);
    }
  } else {
    await rt.events.joinRooms(rooms.channel(parent.id), [room]);
  }
  const payload = presentThread(created.thread, created.meta);
  await rt.events.dispatch([threadAudienceRoom(created.thread)], 'THREAD_CREATE', payload);
  // A private thread's name is for its members: no notice in the parent.
  if (created.thread.channel_type === 'public_thread') {
    await announceThread(rt, services, parent.id, starter, payload, actorId);
  }
  return payload;
}

/**
 * The message-side consequences of a new thread, after it is committed: the starter's
 * `thread_id`, and the `thread_created` notice. The thread exists whatever happens here (its
 * metadata records the starter), so a queue outage is logged rather than failing the request.
 */
async function announceThread(
  rt: Runtime,
  services: ApiServices,
  parentId: string,
  starter: Row<'Message'> | null,
  thread: ThreadObject,
  actorId: string,
): Promise<void> {
  try {
    if (starter) {
      await runMessageCommand(rt, services, messageJobId('set_thread', starter.id, thread.id), {
        kind: 'set_thread',
        message_id: starter.id,
        channel_id: parentId,
        thread_id: thread.id,
      });
    }
    await postSystemMessage(rt, {
      channel_id: parentId,
      type: 'thread_created',
      author_id: actorId,
      content: thread.name,
      thread_id: thread.id,
    });
  } catch (err) {
    rt.logger.warn({ err: (err as Error).message, thread: thread.id }, 'could not announce a new thread');
  }
}

function threadExists(): ConflictError {
  return new ConflictError('thread_exists', 'This message already started a thread');
}
