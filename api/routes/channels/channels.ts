import Joi from 'joi';
import { wholeOrPage, type PageQuery } from '../../../shared/pagination.js';
import type { Runtime } from '../../../shared/runtime.js';
import { awaitFollowUps } from '../../messages/jobs.js';
import type { ApiServices } from '../../services.js';
import { createChannel } from '../../../shared/domain/channels/create.js';
import { deleteChannel } from '../../../shared/domain/channels/delete.js';
import { reorderChannels, type PositionChange } from '../../../shared/domain/channels/reorder.js';
import type { ChannelCreate, ChannelPatch } from '../../../shared/domain/channels/rules.js';
import { updateChannel } from '../../../shared/domain/channels/update.js';
import { getChannel, listChannels } from '../../servers/channel-reads.js';
import { isThreadChannel } from '../../../shared/domain/threads/access.js';
import { deleteThread } from '../../../shared/domain/threads/delete.js';
import { THREAD_ONLY_FIELDS, rejectFields, type ThreadPatch } from '../../../shared/domain/threads/rules.js';
import { updateThread } from '../../../shared/domain/threads/update.js';
import { auditReason } from '../audit-reason.js';
import { badPageResponse, wholeListQuery } from '../common-schemas.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { serverIdParams } from '../servers/schema.js';
import { threadObject } from '../threads/schema.js';
import {
  channelIdParams,
  channelObject,
  createChannelBody,
  patchChannelBody,
  reorderChannelsBody,
} from './schema.js';

type ServerParams = { server_id: string };
type ChannelParams = { channel_id: string };

/** What /channels/{channel_id} answers: a channel, or a thread (with `thread_metadata`). */
const channelOrThread = Joi.alternatives().try(channelObject, threadObject);

function normalizeTopic<T extends { topic?: string | null }>(body: T): T {
  return body.topic === '' ? { ...body, topic: null } : body;
}

/** Server channel lists, creation and reordering; GET/PATCH/DELETE /channels/{channel_id}. */
export function channelRoutes(rt: Runtime, services: ApiServices): AnyRoute[] {
  return [
    defineRoute<ServerParams, Partial<PageQuery>>({
      method: 'get',
      path: '/servers/{server_id}/channels',
      access: 'user',
      summary: 'The channels of a server the caller can view',
      description:
        'Ordered by `position`, then id; categories are channels too (`parent_id` links to them). The whole ' +
        'list by default: positions and categories only mean something among all the channels. With any of ' +
        '`limit`, `before` or `after`, one page by channel id instead, as API.md pages every list (newest ' +
        'first with `before` or with neither, oldest first with `after`; `limit` 1-100, default 50).',
      tags: ['Channels'],
      params: serverIdParams,
      query: wholeListQuery,
      responses: {
        200: {
          description: 'The visible channels; or one page of them by id',
          schema: Joi.array().items(channelObject),
        },
        400: badPageResponse,
        404: { description: '`unknown_server`' },
      },
      handler: async ({ auth, params, query }) =>
        wholeOrPage(await listChannels(rt, params.server_id, auth.user.id), (c) => c.id, query),
    }),
    defineRoute<ServerParams, Record<string, never>, ChannelCreate>({
      method: 'post',
      path: '/servers/{server_id}/channels',
      access: 'user',
      summary: 'Create a channel (MANAGE_CHANNELS)',
      description:
        '`parent_id` must be a category of the same server; categories cannot have one. Without `position` ' +
        'the channel goes last. A channel created in a category starts with copies of the category’s ' +
        'permission overwrites (later changes to either do not carry over). Recorded in the audit log ' +
        '(`channel_create`); the members who can see it receive `CHANNEL_CREATE`.',
      tags: ['Channels'],
      status: 201,
      params: serverIdParams,
      body: createChannelBody,
      responses: {
        201: { description: 'The new channel', schema: channelObject },
        400: { description: 'Bad fields (each named), or a bad `parent_id`' },
        403: { description: '`missing_permission`: MANAGE_CHANNELS' },
        404: { description: '`unknown_server`' },
      },
      handler: ({ auth, params, body, req }) =>
        createChannel(rt, params.server_id, auth.user.id, normalizeTopic(body), auditReason(req)),
    }),
    defineRoute<ServerParams, Record<string, never>, PositionChange[]>({
      method: 'patch',
      path: '/servers/{server_id}/channels',
      access: 'user',
      summary: 'Reorder channels (MANAGE_CHANNELS)',
      description:
        'A list of `{id, position, parent_id?}`. Each changed channel is recorded in the audit log ' +
        '(`channel_update`) and announced with `CHANNEL_UPDATE`.',
      tags: ['Channels'],
      status: 204,
      params: serverIdParams,
      body: reorderChannelsBody as unknown as Joi.ObjectSchema<PositionChange[]>,
      responses: {
        204: { description: 'Reordered' },
        400: { description: 'Bad items (named by index: `0.id`), unknown channels or bad parents' },
        403: { description: '`missing_permission`: MANAGE_CHANNELS' },
        404: { description: '`unknown_server`' },
      },
      handler: ({ auth, params, body, req }) =>
        reorderChannels(rt, params.server_id, auth.user.id, body, auditReason(req)),
    }),
    defineRoute<ChannelParams>({
      method: 'get',
      path: '/channels/{channel_id}',
      access: 'user',
      summary: 'A channel',
      description:
        'A server channel the caller can view, or a DM / notes channel they are in (with `recipients`). A ' +
        'thread (seen by whoever sees its parent) carries `thread_metadata`.',
      tags: ['Channels'],
      params: channelIdParams,
      responses: {
        200: { description: 'The channel, or the thread', schema: channelOrThread },
        404: { description: '`unknown_channel`: no such channel, or the caller cannot see it' },
      },
      handler: ({ auth, params }) => getChannel(rt, params.channel_id, auth.user.id),
    }),
    defineRoute<ChannelParams, Record<string, never>, ChannelPatch & ThreadPatch>({
      method: 'patch',
      path: '/channels/{channel_id}',
      access: 'user',
      summary: 'Update a channel (MANAGE_CHANNELS in it) or a thread',
      description:
        'Recorded in the audit log (`channel_update`, with what changed); its viewers receive `CHANNEL_UPDATE`; a ' +
        'text channel’s new name is announced in it by a `channel_name_change` system message. ' +
        'A thread takes `name`, `archived`, `locked` and `auto_archive_minutes` only: its owner may rename, ' +
        'archive and unarchive it while it is not locked; anything else needs MANAGE_THREADS (`thread_update` ' +
        'in the audit log, THREAD_UPDATE to the parent channel’s viewers).',
      tags: ['Channels'],
      params: channelIdParams,
      body: patchChannelBody,
      responses: {
        200: { description: 'The updated channel, or the updated thread', schema: channelOrThread },
        400: { description: 'Bad fields (each named), or a bad `parent_id`' },
        403: { description: '`missing_permission`: MANAGE_CHANNELS' },
        404: { description: '`unknown_channel`' },
      },
      handler: async ({ auth, params, body, req }) => {
        if (await isThreadChannel(rt, params.channel_id)) {
          return updateThread(rt, params.channel_id, auth.user.id, body, auditReason(req));
        }
        rejectFields(body, (key) => !THREAD_ONLY_FIELDS.includes(key), 'a channel that is not a thread');
        const { channel, noticeJobId } = await updateChannel(
          rt,
          params.channel_id,
          auth.user.id,
          normalizeTopic(body),
          auditReason(req),
        );
        // The renamer's next read of the channel shows its channel_name_change notice.
        await awaitFollowUps(rt, services, [noticeJobId], { channel: channel.id });
        return channel;
      },
    }),
    defineRoute<ChannelParams>({
      method: 'delete',
      path: '/channels/{channel_id}',
      access: 'user',
      summary: 'Delete a channel (MANAGE_CHANNELS in it) or a thread (MANAGE_THREADS)',
      description:
        'Its viewers receive `CHANNEL_DELETE`; the channels of a deleted category lose their parent; the ' +
        'threads of a deleted text channel go with it. Recorded in the audit log (`channel_delete`). A ' +
        'thread: `thread_delete` in the audit log, THREAD_DELETE to the parent’s viewers, and its starter ' +
        'message loses its `thread_id`.',
      tags: ['Channels'],
      status: 204,
      params: channelIdParams,
      responses: {
        204: { description: 'Deleted' },
        403: { description: '`missing_permission`: MANAGE_CHANNELS (MANAGE_THREADS for a thread)' },
        404: { description: '`unknown_channel`' },
      },
      handler: async ({ auth, params, req }) =>
        (await isThreadChannel(rt, params.channel_id))
          ? deleteThread(rt, params.channel_id, auth.user.id, auditReason(req))
          : deleteChannel(rt, params.channel_id, auth.user.id, auditReason(req)),
    }),
  ];
}
