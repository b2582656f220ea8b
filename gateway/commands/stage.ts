import { STAGE_COMMANDS, type StageCommandInput } from '../../shared/voice-chat/stage-commands.js';
import type { GatewayContext } from '../sessions/connect.js';
import type { GatewaySocket } from '../types.js';

/** The stage commands (shared/voice-chat/stage-commands.ts) as gateway commands: `{voice_state}` acked. */
export const stageCommands = Object.fromEntries(
  Object.entries(STAGE_COMMANDS).map(([name, command]) => [
    name,
    {
      schema: command.schema,
      run: async (ctx: GatewayContext, socket: GatewaySocket, input: StageCommandInput) => ({
        voice_state: await command.run(ctx.rt, socket.data.userId, input),
      }),
    },
  ]),
);
