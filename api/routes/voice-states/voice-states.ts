import Joi from 'joi';
import type { Runtime } from '../../../shared/runtime.js';
import {
  listVoiceStates,
  moderateVoice,
  type VoiceModeration,
} from '../../../shared/voice-chat/moderation.js';
import {
  endStageInstance,
  readStageInstance,
  startStageInstance,
  updateStageInstance,
} from '../../../shared/voice-chat/stage.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  patchVoiceStateBody,
  serverVoiceParams,
  stageInstanceObject,
  stageParams,
  stageTopicBody,
  voiceStateObject,
  voiceStateParams,
} from './schema.js';

type ServerParams = { server_id: string };
type StateParams = { server_id: string; user_id: string };
type StageParams = { channel_id: string };

/** Voice states and their moderation, and stage instances (joining itself is the gateway's `voice_state_update`). */
export function voiceRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<ServerParams>({
      method: 'get',
      path: '/servers/{server_id}/voice-states',
      access: 'user',
      summary: 'Who is in voice',
      description: 'The voice states of the server in the voice and stage channels the caller can see.',
      tags: ['Voice'],
      params: serverVoiceParams,
      responses: {
        200: { description: 'Voice states', schema: Joi.array().items(voiceStateObject) },
        404: { description: '`unknown_server`' },
      },
      handler: ({ params, auth }) => listVoiceStates(rt, params.server_id, auth.user.id),
    }),
    defineRoute<StateParams, Record<string, never>, VoiceModeration>({
      method: 'patch',
      path: '/servers/{server_id}/voice-states/{user_id}',
      access: 'user',
      summary: 'Server mute, deafen, move or disconnect a member; stage speakers',
      description:
        '`mute` needs MUTE_MEMBERS and `deaf` DEAFEN_MEMBERS, in the member’s voice channel (server-wide when ' +
        'they are not in voice); both are kept on the member, so rejoining does not lift them, and are enforced ' +
        'by the voice server (a muted member’s audio is not forwarded; a deafened one receives none). ' +
        '`channel_id` moves the member (MOVE_MEMBERS in both channels; the user limit does not apply) or, null, ' +
        'disconnects them. `suppress` (stage channels; MUTE_MEMBERS and MOVE_MEMBERS) makes them a speaker ' +
        '(false) or audience (true). The member must rank strictly below the caller (never the owner; the caller ' +
        'may act on themselves). Everyone who can see the channel receives VOICE_STATE_UPDATE. Audited as ' +
        '`member_update`, `member_move` or `member_disconnect`.',
      tags: ['Voice'],
      params: voiceStateParams,
      body: patchVoiceStateBody,
      responses: {
        200: {
          description: 'The member’s voice state now (null: not in voice)',
          schema: voiceStateObject.allow(null),
        },
        400: {
          description: 'Bad fields; `not_in_voice` (move), `not_in_stage` (suppress), `cannot_connect`',
        },
        403: {
          description:
            '`missing_permission` (named); `member_hierarchy`: the member is the owner or ranks at or above the caller',
        },
        404: { description: '`unknown_server`, `unknown_member`, `unknown_channel`' },
      },
      handler: ({ params, body, auth, req }) =>
        moderateVoice(rt, params.server_id, auth.user.id, params.user_id, body, auditReason(req)),
    }),
    defineRoute<StageParams>({
      method: 'get',
      path: '/channels/{channel_id}/stage-instance',
      access: 'user',
      summary: 'A stage channel’s live instance',
      tags: ['Voice'],
      params: stageParams,
      responses: {
        200: { description: 'The instance', schema: stageInstanceObject },
        400: { description: '`invalid_channel_type`: not a stage channel' },
        404: { description: '`unknown_channel`, `unknown_stage_instance` (none running)' },
      },
      handler: ({ params, auth }) => readStageInstance(rt, auth.user.id, params.channel_id),
    }),
    defineRoute<StageParams, Record<string, never>, { topic: string }>({
      method: 'post',
      path: '/channels/{channel_id}/stage-instance',
      access: 'user',
      summary: 'Start a stage instance with a topic',
      description:
        'Stage moderators (MUTE_MEMBERS and MOVE_MEMBERS in the channel). The channel’s viewers receive ' +
        '`STAGE_INSTANCE_CREATE`. It ends when deleted or when the last participant leaves (`STAGE_INSTANCE_DELETE`).',
      tags: ['Voice'],
      status: 201,
      params: stageParams,
      body: stageTopicBody,
      responses: {
        201: { description: 'Started', schema: stageInstanceObject },
        400: { description: 'Bad topic; `invalid_channel_type`' },
        403: { description: '`missing_permission`' },
        404: { description: '`unknown_channel`' },
        409: { description: '`stage_instance_exists`' },
      },
      handler: ({ params, body, auth }) =>
        startStageInstance(rt, auth.user.id, params.channel_id, body.topic),
    }),
    defineRoute<StageParams, Record<string, never>, { topic: string }>({
      method: 'patch',
      path: '/channels/{channel_id}/stage-instance',
      access: 'user',
      summary: 'Change a stage instance’s topic',
      description: 'Stage moderators. `STAGE_INSTANCE_UPDATE` to the channel’s viewers.',
      tags: ['Voice'],
      params: stageParams,
      body: stageTopicBody,
      responses: {
        200: { description: 'Updated', schema: stageInstanceObject },
        403: { description: '`missing_permission`' },
        404: { description: '`unknown_channel`, `unknown_stage_instance`' },
      },
      handler: ({ params, body, auth }) =>
        updateStageInstance(rt, auth.user.id, params.channel_id, body.topic),
    }),
    defineRoute<StageParams>({
      method: 'delete',
      path: '/channels/{channel_id}/stage-instance',
      access: 'user',
      summary: 'End a stage instance',
      description: 'Stage moderators. `STAGE_INSTANCE_DELETE` to the channel’s viewers.',
      tags: ['Voice'],
      status: 204,
      params: stageParams,
      responses: {
        204: { description: 'Ended' },
        403: { description: '`missing_permission`' },
        404: { description: '`unknown_channel`, `unknown_stage_instance`' },
      },
      handler: ({ params, auth }) => endStageInstance(rt, auth.user.id, params.channel_id),
    }),
  ];
}
