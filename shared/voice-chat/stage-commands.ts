import Joi from 'joi';
import { snowflakeSchema } from '../snowflake-schema.js';
import type { Runtime } from '../runtime.js';
import { inviteSpeaker, moveToAudience, requestToSpeak } from './stage.js';
import type { VoiceStateObject } from './states.js';

/** A stage command's payload once its schema passed it (each command reads the fields it requires). */
export interface StageCommandInput {
  channel_id: string;
  raise: boolean;
  user_id: string;
}

interface StageCommand {
  schema: Joi.ObjectSchema;
  run(rt: Runtime, userId: string, input: StageCommandInput): Promise<VoiceStateObject>;
}

const stageTarget = () =>
  Joi.object({ channel_id: snowflakeSchema().required(), user_id: snowflakeSchema().required() });

/**
 * The stage commands, acked alike on the gateway and on the /voice namespace (API.md lists them
 * under Voice): `request_to_speak {channel_id, raise?}` raises (default) or lowers one's hand;
 * `invite_speaker` / `move_to_audience {channel_id, user_id}` let stage moderators change who speaks.
 */
export const STAGE_COMMANDS: Record<
  'request_to_speak' | 'invite_speaker' | 'move_to_audience',
  StageCommand
> = {
  request_to_speak: {
    schema: Joi.object({ channel_id: snowflakeSchema().required(), raise: Joi.boolean().default(true) }),
    run: (rt, userId, input) => requestToSpeak(rt, userId, input.channel_id, input.raise),
  },
  invite_speaker: {
    schema: stageTarget(),
    run: (rt, userId, input) => inviteSpeaker(rt, userId, input.channel_id, input.user_id),
  },
  move_to_audience: {
    schema: stageTarget(),
    run: (rt, userId, input) => moveToAudience(rt, userId, input.channel_id, input.user_id),
  },
};
