import Joi from 'joi';
import { snowflake } from '../common-schemas.js';

export const serverVoiceParams = Joi.object({ server_id: snowflake().required() });
export const voiceStateParams = Joi.object({
  server_id: snowflake().required(),
  user_id: snowflake().required(),
});
export const stageParams = Joi.object({ channel_id: snowflake().required() });

export const patchVoiceStateBody = Joi.object({
  mute: Joi.boolean().description('server mute (MUTE_MEMBERS): their audio stops reaching anyone'),
  deaf: Joi.boolean().description('server deafen (DEAFEN_MEMBERS): no audio reaches them'),
  channel_id: snowflake()
    .allow(null)
    .description('move (MOVE_MEMBERS) to another voice or stage channel of the server; null disconnects'),
  suppress: Joi.boolean().description(
    'stage channels (MUTE_MEMBERS and MOVE_MEMBERS): false makes them a speaker, true audience',
  ),
})
  .or('mute', 'deaf', 'channel_id', 'suppress')
  .messages({ 'object.missing': 'give at least one of mute, deaf, channel_id, suppress' });

export const stageTopicBody = Joi.object({ topic: Joi.string().trim().min(1).max(120).required() });

export const voiceStateObject = Joi.object({
  server_id: Joi.string().required(),
  channel_id: Joi.string().allow(null).required(),
  user_id: Joi.string().required(),
  session_id: Joi.string().required(),
  self_mute: Joi.boolean().required(),
  self_deaf: Joi.boolean().required(),
  self_video: Joi.boolean().required(),
  self_stream: Joi.boolean().required(),
  mute: Joi.boolean().required(),
  deaf: Joi.boolean().required(),
  suppress: Joi.boolean().required(),
  request_to_speak_timestamp: Joi.number().integer().allow(null).required(),
  speaking: Joi.boolean().required(),
}).meta({ className: 'VoiceState' });

export const stageInstanceObject = Joi.object({
  channel_id: Joi.string().required(),
  server_id: Joi.string().required(),
  topic: Joi.string().required(),
  started_by: Joi.string().required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'StageInstance' });
