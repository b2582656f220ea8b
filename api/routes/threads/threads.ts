import Joi from 'joi';
import type { Runtime } from '../../../shared/runtime.js';
import type { ApiServices } from '../../services.js';
import {
  addThreadMember,
  joinThread,
  leaveThread,
  removeThreadMember,
} from '../../../shared/domain/threads/members.js';
import { startThread, type ThreadStart } from '../../../shared/domain/threads/start.js';
import { listThreadMembers } from '../../threads/member-reads.js';
import { listThreads } from '../../threads/reads.js';
import { awaitThreadFollowUps } from '../../threads/start.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  listThreadsQuery,
  memberParams,
  startFromMessageBody,
  parentParams,
  startThreadBody,
  starterParams,
  threadIdParams,
  threadMemberObject,
  threadMembersQuery,
  threadObject,
} from './schema.js';

type ParentParams = { channel_id: string };
type StarterParams = { channel_id: string; message_id: string };
type ThreadParams = { thread_id: string };
type MemberParams = { thread_id: string; user_id: string };

const START_DESCRIPTION =
  'Needs CREATE_THREADS in the text channel. The creator joins the thread; the channel’s viewers ' +
  'receive THREAD_CREATE and a `thread_created` message (content: the thread’s name, `thread_id`: ' +
  'the thread) is posted in the channel. A thread inherits the channel’s permissions, slowmode and ' +
  'nsfw flag; reading and writing in it go through the messages routes with the thread’s id, and ' +
  'sending there needs SEND_MESSAGES_IN_THREADS.';

/** Starting threads, listing a channel's threads, joining and leaving them. */
export function threadRoutes(rt: Runtime, services: ApiServices): AnyRoute[] {
  return [
    defineRoute<StarterParams, Record<string, never>, ThreadStart>({
      method: 'post',
      path: '/channels/{channel_id}/messages/{message_id}/threads',
      access: 'user',
      summary: 'Start a thread from a message',
      description:
        `${START_DESCRIPTION} The message gets \`thread_id\` (MESSAGE_UPDATE); a message starts at most ` +
        'one thread. Also needs READ_MESSAGE_HISTORY.',
      tags: ['Threads'],
      status: 201,
      params: starterParams,
      body: startFromMessageBody,
      responses: {
        201: { description: 'The new thread', schema: threadObject },
        400: { description: 'Bad fields (each named); not a text channel; a system message' },
        403: { description: '`missing_permission`: CREATE_THREADS or READ_MESSAGE_HISTORY' },
        404: { description: '`unknown_channel` or `unknown_message`' },
        409: { description: '`thread_exists`: the message already started a thread' },
      },
      handler: async ({ auth, params, body, req }) => {
        const started = await startThread(
          rt,
          params.channel_id,
          params.message_id,
          auth.user.id,
          body,
          auditReason(req),
        );
        await awaitThreadFollowUps(rt, services, started);
        return started.thread;
      },
    }),
    defineRoute<ParentParams, Record<string, never>, ThreadStart>({
      method: 'post',
      path: '/channels/{channel_id}/threads',
      access: 'user',
      summary: 'Start a thread without a message',
      description:
        `${START_DESCRIPTION} With \`type: "private_thread"\` only its members (the creator, then whoever ` +
        'they add) and those with MANAGE_THREADS see it; no notice is posted for it.',
      tags: ['Threads'],
      status: 201,
      params: parentParams,
      body: startThreadBody,
      responses: {
        201: { description: 'The new thread', schema: threadObject },
        400: { description: 'Bad fields (each named), or not a text channel' },
        403: { description: '`missing_permission`: CREATE_THREADS' },
        404: { description: '`unknown_channel`' },
      },
      handler: async ({ auth, params, body, req }) => {
        const started = await startThread(rt, params.channel_id, null, auth.user.id, body, auditReason(req));
        await awaitThreadFollowUps(rt, services, started);
        return started.thread;
      },
    }),
    defineRoute<ParentParams, { archived: boolean; before?: string; limit: number }>({
      method: 'get',
      path: '/channels/{channel_id}/threads',
      access: 'user',
      summary: 'The threads of a text channel',
      description:
        'Active threads, newest first; `archived=true` for archived ones. Paginated with `before` (a ' +
        'thread id) and `limit`.',
      tags: ['Threads'],
      params: parentParams,
      query: listThreadsQuery,
      responses: {
        200: { description: 'Threads', schema: Joi.array().items(threadObject) },
        400: { description: 'Not a text channel' },
        404: { description: '`unknown_channel`' },
      },
      handler: ({ auth, params, query }) => listThreads(rt, params.channel_id, auth.user.id, query),
    }),
    defineRoute<ThreadParams>({
      method: 'put',
      path: '/channels/{thread_id}/thread-members/@me',
      access: 'user',
      summary: 'Join a thread',
      description:
        'Anyone who can see the thread may join it (posting in it joins too). Idempotent; a join ' +
        'sends THREAD_MEMBERS_UPDATE `{id, server_id, member_count, added_member_ids}` to the parent’s viewers.',
      tags: ['Threads'],
      status: 204,
      params: threadIdParams,
      responses: {
        204: { description: 'A member now' },
        400: { description: 'Not a thread' },
        404: { description: '`unknown_channel`' },
      },
      handler: ({ auth, params }) => joinThread(rt, params.thread_id, auth.user.id),
    }),
    defineRoute<ThreadParams>({
      method: 'delete',
      path: '/channels/{thread_id}/thread-members/@me',
      access: 'user',
      summary: 'Leave a thread',
      description: 'Idempotent; a leave sends THREAD_MEMBERS_UPDATE with `removed_member_ids`.',
      tags: ['Threads'],
      status: 204,
      params: threadIdParams,
      responses: {
        204: { description: 'Not a member' },
        400: { description: 'Not a thread' },
        404: { description: '`unknown_channel`' },
      },
      handler: ({ auth, params }) => leaveThread(rt, params.thread_id, auth.user.id),
    }),
    defineRoute<MemberParams>({
      method: 'put',
      path: '/channels/{thread_id}/thread-members/{user_id}',
      access: 'user',
      summary: 'Add someone to a thread',
      description:
        'Anyone who sees the thread may add a server member who can see its channel; this is how people ' +
        'enter a private thread (they receive THREAD_CREATE). Idempotent.',
      tags: ['Threads'],
      status: 204,
      params: memberParams,
      responses: {
        204: { description: 'They are a member' },
        400: { description: 'Not a thread; `member_cannot_view`: they cannot see the channel' },
        404: { description: '`unknown_channel`, `unknown_member`' },
      },
      handler: ({ auth, params }) => addThreadMember(rt, params.thread_id, auth.user.id, params.user_id),
    }),
    defineRoute<MemberParams>({
      method: 'delete',
      path: '/channels/{thread_id}/thread-members/{user_id}',
      access: 'user',
      summary: 'Remove someone from a thread',
      description:
        'Needs MANAGE_THREADS, or being the owner of a private thread. Someone removed from a private thread ' +
        'stops seeing it at once (THREAD_DELETE to them).',
      tags: ['Threads'],
      status: 204,
      params: memberParams,
      responses: {
        204: { description: 'Not a member' },
        403: { description: '`missing_permission`: MANAGE_THREADS' },
        404: { description: '`unknown_channel`' },
      },
      handler: ({ auth, params }) => removeThreadMember(rt, params.thread_id, auth.user.id, params.user_id),
    }),
    defineRoute<ThreadParams, { after?: string; limit: number }>({
      method: 'get',
      path: '/channels/{thread_id}/thread-members',
      access: 'user',
      summary: 'The members of a thread',
      description: 'Ordered by user id; paginated with `after` (a user id) and `limit`.',
      tags: ['Threads'],
      params: threadIdParams,
      query: threadMembersQuery,
      responses: {
        200: { description: 'Members', schema: Joi.array().items(threadMemberObject) },
        400: { description: 'Not a thread' },
        404: { description: '`unknown_channel`' },
      },
      handler: ({ auth, params, query }) => listThreadMembers(rt, params.thread_id, auth.user.id, query),
    }),
  ];
}
