import Joi from 'joi';
import { snowflake } from '../common-schemas.js';

/** The latest muted_until accepted: 9999-12-31 (use no muted_until for "until I unmute"). */
const MAX_UNIX_SECONDS = 253402300799;

export interface MuteBody {
  muted: boolean;
  muted_until?: number | null;
}

export const muteBody = Joi.object<MuteBody>({
  muted: Joi.boolean().required(),
  muted_until: Joi.when('muted', {
    is: true,
    then: Joi.number().integer().min(0).max(MAX_UNIX_SECONDS).allow(null),
    otherwise: Joi.valid(null).messages({ 'any.only': '{{#label}} is only for muted: true' }),
  }).description('unix seconds when the mute ends by itself; null or absent: until unmuted'),
});

export const serverParams = Joi.object({ server_id: snowflake().required() });
export const channelParams = Joi.object({ channel_id: snowflake().required() });

const muteFields = {
  muted: Joi.boolean().required().description('whether the mute is set (see muted_until)'),
  muted_until: Joi.number().integer().allow(null).required().description('unix seconds; null: no end'),
  active: Joi.boolean().required().description('whether it silences pushes now'),
};

export const serverSettingObject = Joi.object({
  server_id: Joi.string().required(),
  ...muteFields,
}).meta({ className: 'ServerNotificationSettings' });

export const channelSettingObject = Joi.object({
  channel_id: Joi.string().required(),
  ...muteFields,
  inherited: Joi.boolean()
    .required()
    .description(
      'true: the channel has no setting of its own and these values come from its parent channel (threads) or its server',
    ),
}).meta({ className: 'ChannelNotificationSettings' });

export const allSettingsObject = Joi.object({
  servers: Joi.array().items(serverSettingObject).required(),
  channels: Joi.array().items(channelSettingObject).required(),
}).meta({ className: 'NotificationSettings' });
