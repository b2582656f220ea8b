import { UniqueConstraintError } from 'sequelize';
import { diff, recordAudit } from '../../audit.js';
import type { Row } from '../../db/models/index.js';
import { ApiError, ConflictError, NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { isSystemMessage, postAwaitedNotice } from '../../messages/system-messages.js';
import { runCommand } from '../../outbox/index.js';
import { Permission } from '../../permissions/index.js';
import { channelViewers, threadAudienceRoom } from '../../permissions/viewers.js';
import { presentThread, type ThreadObject } from '../../presenters/thread.js';
import { messageJobId } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { loadThreadParent } from './access.js';
import { threadAuditFields } from './rules.js';

/** What starts a thread. */
export interface ThreadStart {
  name: string;
  auto_archive_minutes?: number;
  /** Only without a starter message (a message's thread is public). Default public_thread. */
  type?: 'public_thread' | 'private_thread';
}

/** A started thread, the job that links its starter message and its notice's (null: none). */
export interface StartedThread {
  thread: ThreadObject;
  starterJobId: string | null;
  noticeJobId: string | null;
}

/**
 * Starts a thread in a text channel (CREATE_THREADS there), from `messageId` (always public) or
 * without a message (public, or private with `type`). One transaction stores the thread channel,
 * its metadata and its creator as first member (a message starts at most one thread: 409
 * `thread_exists`). After the commit its viewers join the thread's room and receive THREAD_CREATE;
 * for a public thread the starter message gets its `thread_id` (MESSAGE_UPDATE) and a
 * `thread_created` notice is posted in the parent, both jobs of the messages queue. The thread
 * copies the parent's slowmode and nsfw flag.
 */
export async function startThread(
  rt: Runtime,
  parentId: string,
  messageId: string | null,
  actorId: string,
  body: ThreadStart,
  reason: string | null,
): Promise<StartedThread> {
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
  const room = rooms.channel(id);
  try {
    return await runCommand(rt, room, async (transaction, fx) => {
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
      fx.invalidate({ channels: [id] });
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
      if (thread.channel_type === 'private_thread') {
        // Its viewers: the creator and whoever may manage threads in the parent.
        for (const userId of await channelViewers(rt, thread, 'everyone', transaction)) {
          fx.joinRooms(rooms.user(userId), [room]);
        }
      } else {
        fx.joinRooms(rooms.channel(parent.id), [room]);
      }
      const payload = presentThread(thread, meta);
      fx.dispatch([threadAudienceRoom(thread)], 'THREAD_CREATE', payload);
      // A private thread's name is for its members: no notice in the parent.
      if (thread.channel_type !== 'public_thread') {
        return { thread: payload, starterJobId: null, noticeJobId: null };
      }
      let starterJobId: string | null = null;
      if (starter) {
        starterJobId = messageJobId('set_thread', starter.id, id);
        const job = {
          kind: 'set_thread',
          message_id: starter.id,
          channel_id: parent.id,
          thread_id: id,
        } as const;
        fx.job('messages', job.kind, job, { jobId: starterJobId });
      }
      const noticeJobId = postAwaitedNotice(rt, fx, {
        channel_id: parent.id,
        type: 'thread_created',
        author_id: actorId,
        content: payload.name,
        thread_id: id,
      });
      return { thread: payload, starterJobId, noticeJobId };
    });
  } catch (err) {
    // Two requests raced to start a thread from the same message.
    if (err instanceof UniqueConstraintError) throw threadExists();
    throw err;
  }
}

function threadExists(): ConflictError {
  return new ConflictError('thread_exists', 'This message already started a thread');
}
