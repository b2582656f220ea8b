import type { Runtime } from '../../../shared/runtime.js';
import {
  deleteChannelSetting,
  putChannelSetting,
  putServerSetting,
} from '../../../shared/domain/notifications/settings.js';
import { getChannelSetting, getServerSetting, listSettings } from '../../notifications/settings.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  allSettingsObject,
  channelParams,
  channelSettingObject,
  muteBody,
  serverParams,
  serverSettingObject,
  type MuteBody,
} from './schema.js';

const MUTES =
  'Mutes silence push notifications only: mentions still reach the inbox and NOTIFICATION_CREATE. ' +
  'The most specific setting decides: a channel’s own, else its parent channel’s (threads), else the server’s, ' +
  'so `{muted: false}` on a channel keeps it pushing inside a muted server. A mute with `muted_until` in the ' +
  'past is over.';

/** The caller's per-server and per-channel mutes (guide 13). */
export function notificationSettingRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/users/@me/notification-settings',
      access: 'user',
      summary: 'Every mute the caller stored',
      description: MUTES,
      tags: ['Notifications'],
      responses: { 200: { description: 'Server and channel settings', schema: allSettingsObject } },
      handler: ({ auth }) => listSettings(rt, auth.user.id),
    }),
    defineRoute<{ server_id: string }>({
      method: 'get',
      path: '/users/@me/notification-settings/servers/{server_id}',
      access: 'user',
      summary: 'The caller’s mute of a server',
      description: `Not muted unless set. ${MUTES}`,
      tags: ['Notifications'],
      params: serverParams,
      responses: {
        200: { description: 'The setting', schema: serverSettingObject },
        404: { description: '`unknown_server`: not a server the caller is in' },
      },
      handler: ({ auth, params }) => getServerSetting(rt, auth.user.id, params.server_id),
    }),
    defineRoute<{ server_id: string }, Record<string, never>, MuteBody>({
      method: 'put',
      path: '/users/@me/notification-settings/servers/{server_id}',
      access: 'user',
      summary: 'Mute or unmute a server',
      description: MUTES,
      tags: ['Notifications'],
      params: serverParams,
      body: muteBody,
      responses: {
        200: { description: 'The stored setting', schema: serverSettingObject },
        400: { description: 'A bad field, named' },
        404: { description: '`unknown_server`: not a server the caller is in' },
      },
      handler: ({ auth, params, body }) => putServerSetting(rt, auth.user.id, params.server_id, body),
    }),
    defineRoute<{ channel_id: string }>({
      method: 'get',
      path: '/users/@me/notification-settings/channels/{channel_id}',
      access: 'user',
      summary: 'The caller’s mute of a channel (or the one it follows)',
      description: `\`inherited\` is true when the channel has no setting of its own. ${MUTES}`,
      tags: ['Notifications'],
      params: channelParams,
      responses: {
        200: { description: 'The setting', schema: channelSettingObject },
        404: { description: '`unknown_channel`: no such channel, or the caller cannot see it' },
      },
      handler: ({ auth, params }) => getChannelSetting(rt, auth.user.id, params.channel_id),
    }),
    defineRoute<{ channel_id: string }, Record<string, never>, MuteBody>({
      method: 'put',
      path: '/users/@me/notification-settings/channels/{channel_id}',
      access: 'user',
      summary: 'Mute or unmute a channel, DM or thread',
      description: MUTES,
      tags: ['Notifications'],
      params: channelParams,
      body: muteBody,
      responses: {
        200: { description: 'The stored setting', schema: channelSettingObject },
        400: { description: 'A bad field, named' },
        404: { description: '`unknown_channel`: no such channel, or the caller cannot see it' },
      },
      handler: ({ auth, params, body }) => putChannelSetting(rt, auth.user.id, params.channel_id, body),
    }),
    defineRoute<{ channel_id: string }>({
      method: 'delete',
      path: '/users/@me/notification-settings/channels/{channel_id}',
      access: 'user',
      summary: 'Drop a channel’s own setting',
      description: 'The channel follows its parent channel or server again. 204 whether or not it had one.',
      tags: ['Notifications'],
      status: 204,
      params: channelParams,
      responses: {
        204: { description: 'Dropped' },
        404: { description: '`unknown_channel`: no such channel, or the caller cannot see it' },
      },
      handler: ({ auth, params }) => deleteChannelSetting(rt, auth.user.id, params.channel_id),
    }),
  ];
}
