import type Joi from 'joi';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { answerCommand, errorAck, validateCommand } from '../../shared/command-ack.js';
import { RateLimitedError } from '../../shared/errors.js';
import type { GatewayContext } from '../sessions/connect.js';
import type { GatewaySocket } from '../types.js';
import { presenceUpdate, presenceUpdateSchema } from './presence-update.js';
import { requestMembers, requestMembersSchema } from './request-members.js';
import { typingStart, typingStartSchema } from './typing-start.js';
import { voiceStateUpdate, voiceStateUpdateSchema } from './voice-state-update.js';
import { stageCommands } from './stage.js';
import type { CommandAck } from './ack.js';

type Handler = (ctx: GatewayContext, socket: GatewaySocket, input: never) => Promise<Record<string, unknown>>;

/** Client commands (socket.io events with an ack), each validated by its joi schema. */
const COMMANDS: Record<string, { schema: Joi.ObjectSchema; run: Handler }> = {
  presence_update: { schema: presenceUpdateSchema, run: presenceUpdate },
  typing_start: { schema: typingStartSchema, run: typingStart },
  request_members: { schema: requestMembersSchema, run: requestMembers },
  voice_state_update: { schema: voiceStateUpdateSchema, run: voiceStateUpdate },
  ...stageCommands,
};

/** Commands per connection per minute before they are refused with `rate_limited`. */
const COMMANDS_PER_MINUTE = 120;

/**
 * Commands per connection are counted in one limiter for the process (keyed by connection): a
 * limiter per connection would be an idle connection's biggest allocation after its socket.
 */
let sharedLimiter: RateLimiterMemory | null = null;

/** Installs the client commands on a live connection: one listener for all of them. */
export function installCommands(ctx: GatewayContext, socket: GatewaySocket): void {
  const limiter = (sharedLimiter ??= new RateLimiterMemory({ points: COMMANDS_PER_MINUTE, duration: 60 }));
  // Client events are untyped input: the command table decides which exist, the schema what they hold.
  socket.onAny((name: unknown, ...args: unknown[]) => {
    const command = typeof name === 'string' && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    answerCommand(
      args,
      // An unknown command is counted as any command is, then refused by name: a client learns of its typo at once.
      (payload) =>
        command ? run(ctx, socket, limiter, command, payload) : unknown(ctx, socket, limiter, String(name)),
      (err) => ctx.rt.logger.error({ err, command: name }, 'gateway command failed'),
    );
  });
}

async function unknown(
  ctx: GatewayContext,
  socket: GatewaySocket,
  limiter: RateLimiterMemory,
  name: string,
): Promise<CommandAck> {
  try {
    await consume(ctx, socket, limiter);
  } catch (err) {
    return errorAck(err);
  }
  return {
    ok: false,
    code: 'unknown_command',
    message: `Unknown command: ${name.slice(0, 100)}. Commands: ${Object.keys(COMMANDS).join(', ')}`,
  };
}

/** Takes a point of the connection's command budget, or throws RateLimitedError. */
async function consume(
  ctx: GatewayContext,
  socket: GatewaySocket,
  limiter: RateLimiterMemory,
): Promise<void> {
  await limiter.consume(socket.id).catch((res: { msBeforeNext: number }) => {
    ctx.rt.metrics.rateLimitHits.inc({ bucket: 'gateway_commands' });
    throw new RateLimitedError(res.msBeforeNext / 1000);
  });
}

async function run(
  ctx: GatewayContext,
  socket: GatewaySocket,
  limiter: RateLimiterMemory,
  command: { schema: Joi.ObjectSchema; run: Handler },
  payload: unknown,
): Promise<CommandAck> {
  try {
    await consume(ctx, socket, limiter);
    return { ok: true, ...(await command.run(ctx, socket, validateCommand<never>(command.schema, payload))) };
  } catch (err) {
    // The same typed errors as the REST routes, with the same body (the HTTP status aside).
    return errorAck(err);
  }
}
