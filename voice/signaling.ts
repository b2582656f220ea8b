import Joi from 'joi';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import {
  ApiError,
  MissingPermissionError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from '../shared/errors.js';
import { Permission, channelAccessFor, has } from '../shared/permissions/index.js';
import { STAGE_COMMANDS, type StageCommandInput } from '../shared/voice-chat/stage-commands.js';
import { answerCommand } from '../shared/command-ack.js';
import { clientParameters, runCommand, type VoiceAck } from './ack.js';
import type { ms } from './mediasoup.js';
import type { VoiceNode } from './node.js';
import { type MediaSource, type Peer, type ProducerData, type Room } from './room.js';

/** Limits per connection: a client needs one send and one receive transport, a few producers. */
const MAX_TRANSPORTS = 4;
const MAX_PRODUCERS = 4;
const MAX_CONSUMERS = 500;
/** Commands per connection per minute (a client consumes once per producer it hears). */
const COMMANDS_PER_MINUTE = 600;

const id = () => Joi.string().max(64);

const schemas = {
  create_transport: Joi.object({ direction: Joi.string().valid('send', 'recv').required() }),
  connect_transport: Joi.object({
    transport_id: id().required(),
    dtls_parameters: Joi.object({
      role: Joi.string().valid('auto', 'client', 'server').default('auto'),
      fingerprints: Joi.array()
        .items(Joi.object({ algorithm: Joi.string().required(), value: Joi.string().required() }))
        .min(1)
        .required(),
    }).required(),
  }),
  produce: Joi.object({
    transport_id: id().required(),
    kind: Joi.string().valid('audio', 'video').required(),
    rtp_parameters: Joi.object().unknown(true).required(),
    source: Joi.string().valid('mic', 'camera', 'screen'),
  }),
  consume: Joi.object({
    transport_id: id().required(),
    producer_id: id().required(),
    rtp_capabilities: Joi.object().unknown(true).required(),
  }),
  consumer: Joi.object({ consumer_id: id().required() }),
  producer: Joi.object({ producer_id: id().required() }),
};

type Handler = (payload: unknown) => Promise<VoiceAck>;

/** A stage command's payload, its `channel_id` this connection's room unless it names one. */
function withRoomChannel(payload: unknown, channelId: string): unknown {
  if (payload === undefined || payload === null) return { channel_id: channelId };
  if (typeof payload !== 'object' || Array.isArray(payload) || 'channel_id' in payload) return payload;
  return { ...payload, channel_id: channelId };
}

/**
 * The signaling commands of one /voice connection (each acked, errors shaped like the REST API's):
 * create_transport, connect_transport, produce, consume, resume_consumer, pause_consumer,
 * pause_producer, resume_producer, close_producer; and the stage commands (request_to_speak,
 * invite_speaker, move_to_audience, as on the gateway), whose `channel_id` defaults to this room's.
 */
export function installSignaling(node: VoiceNode, room: Room, peer: Peer): void {
  const { rt } = node;
  const limiter = new RateLimiterMemory({ points: COMMANDS_PER_MINUTE, duration: 60 });

  const transportOf = (transportId: string, direction?: 'send' | 'recv'): ms.WebRtcTransport => {
    const transport = peer.transports.get(transportId);
    if (!transport) throw new NotFoundError('transport');
    if (direction && (transport.appData as { direction: string }).direction !== direction) {
      throw new ApiError(400, 'wrong_transport_direction', `Use a ${direction} transport`, {
        transport_id: `not a ${direction} transport`,
      });
    }
    return transport;
  };
  const consumerOf = (consumerId: string): ms.Consumer => {
    const consumer = peer.consumers.get(consumerId);
    if (!consumer) throw new NotFoundError('consumer');
    return consumer;
  };
  const producerOf = (producerId: string): ms.Producer => {
    const producer = peer.producers.get(producerId);
    if (!producer) throw new NotFoundError('producer');
    return producer;
  };

  const handlers: Record<string, Handler> = {
    create_transport: (payload) =>
      runCommand(schemas.create_transport, payload, async (input: { direction: 'send' | 'recv' }) => {
        if (peer.transports.size >= MAX_TRANSPORTS) {
          throw new ApiError(
            400,
            'too_many_transports',
            `At most ${MAX_TRANSPORTS} transports per connection`,
          );
        }
        const transport = await node.createTransport(room, input.direction);
        if (peer.closed) {
          transport.close();
          throw new NotFoundError('voice_connection');
        }
        peer.transports.set(transport.id, transport);
        transport.on('routerclose', () => peer.transports.delete(transport.id));
        return {
          id: transport.id,
          direction: input.direction,
          ice_parameters: transport.iceParameters,
          ice_candidates: transport.iceCandidates,
          dtls_parameters: transport.dtlsParameters,
        };
      }),

    connect_transport: (payload) =>
      runCommand(
        schemas.connect_transport,
        payload,
        async (input: { transport_id: string; dtls_parameters: ms.DtlsParameters }) => {
          const transport = transportOf(input.transport_id);
          await clientParameters('dtls_parameters', () =>
            transport.connect({ dtlsParameters: input.dtls_parameters }),
          );
          return {};
        },
      ),

    produce: (payload) =>
      runCommand(
        schemas.produce,
        payload,
        async (input: {
          transport_id: string;
          kind: ms.MediaKind;
          rtp_parameters: ms.RtpParameters;
          source?: MediaSource;
        }) => {
          const transport = transportOf(input.transport_id, 'send');
          const source = input.source ?? (input.kind === 'audio' ? 'mic' : 'camera');
          // A screen share may carry audio; a microphone is audio and a camera video.
          if (
            (source === 'mic' && input.kind !== 'audio') ||
            (source === 'camera' && input.kind !== 'video')
          ) {
            throw new ValidationError({ source: `a ${source} does not send ${input.kind}` });
          }
          // The voice state and permissions are read now, not at join: an invitation to speak or a
          // role change takes effect on the next produce.
          await node.sync(room.channelId, peer.userId);
          if (peer.closed) throw new NotFoundError('voice_connection');
          const access = await channelAccessFor(rt, peer.userId, room.channelId);
          if (!access) throw new NotFoundError('channel');
          const needed = input.kind === 'audio' && source === 'mic' ? 'SPEAK' : 'STREAM';
          if (!has(access.permissions, Permission[needed])) throw new MissingPermissionError(needed);
          if (peer.state.suppress) {
            throw new ApiError(
              403,
              'suppressed',
              'Stage audience cannot speak until a moderator invites them',
            );
          }
          if (peer.producers.size >= MAX_PRODUCERS) {
            throw new ApiError(
              400,
              'too_many_producers',
              `At most ${MAX_PRODUCERS} producers per connection`,
            );
          }
          const data: ProducerData = {
            userId: peer.userId,
            source,
            priority: input.kind === 'audio' && has(access.permissions, Permission.PRIORITY_SPEAKER),
          };
          const producer = await clientParameters('rtp_parameters', () =>
            transport.produce({
              kind: input.kind,
              rtpParameters: input.rtp_parameters,
              // A server-muted member may produce, but nothing of it is forwarded.
              paused: !peer.mayProduce(input.kind),
              appData: data,
            }),
          );
          if (peer.closed) {
            producer.close();
            throw new NotFoundError('voice_connection');
          }
          peer.producers.set(producer.id, producer);
          producer.on('transportclose', () => peer.producers.delete(producer.id));
          node.announceProducer(room, producer);
          await node.refreshMediaFlags(room, peer);
          return { id: producer.id, paused: producer.paused };
        },
      ),

    consume: (payload) =>
      runCommand(
        schemas.consume,
        payload,
        async (input: {
          transport_id: string;
          producer_id: string;
          rtp_capabilities: ms.RtpCapabilities;
        }) => {
          const transport = transportOf(input.transport_id, 'recv');
          const producer = room.producer(input.producer_id);
          const owner = producer ? (producer.appData as ProducerData).userId : null;
          if (!producer || owner === peer.userId) throw new NotFoundError('producer');
          if (peer.consumers.size >= MAX_CONSUMERS) {
            throw new ApiError(
              400,
              'too_many_consumers',
              `At most ${MAX_CONSUMERS} consumers per connection`,
            );
          }
          const canConsume = await clientParameters('rtp_capabilities', () =>
            Promise.resolve(
              room.router.canConsume({ producerId: producer.id, rtpCapabilities: input.rtp_capabilities }),
            ),
          );
          if (!canConsume) {
            throw new ApiError(400, 'cannot_consume', 'Your RTP capabilities cannot receive this producer', {
              rtp_capabilities: 'no codec in common with the producer',
            });
          }
          // Paused until the client has set up its side and sends resume_consumer.
          const consumer = await clientParameters('rtp_capabilities', () =>
            transport.consume({
              producerId: producer.id,
              rtpCapabilities: input.rtp_capabilities,
              paused: true,
              appData: { userId: owner },
            }),
          );
          if (peer.closed) {
            consumer.close();
            throw new NotFoundError('voice_connection');
          }
          node.trackConsumer(peer, consumer);
          if ((producer.appData as ProducerData).priority) await consumer.setPriority(255);
          return {
            id: consumer.id,
            producer_id: producer.id,
            user_id: owner,
            kind: consumer.kind,
            rtp_parameters: consumer.rtpParameters,
            producer_paused: consumer.producerPaused,
          };
        },
      ),

    resume_consumer: (payload) =>
      runCommand(schemas.consumer, payload, async (input: { consumer_id: string }) => {
        const consumer = consumerOf(input.consumer_id);
        peer.clientPaused.delete(consumer.id);
        await node.sync(room.channelId, peer.userId);
        return { paused: consumer.paused };
      }),

    pause_consumer: (payload) =>
      runCommand(schemas.consumer, payload, async (input: { consumer_id: string }) => {
        const consumer = consumerOf(input.consumer_id);
        peer.clientPaused.add(consumer.id);
        await node.sync(room.channelId, peer.userId);
        return { paused: consumer.paused };
      }),

    pause_producer: (payload) =>
      runCommand(schemas.producer, payload, async (input: { producer_id: string }) => {
        const producer = producerOf(input.producer_id);
        peer.clientPaused.add(producer.id);
        await node.sync(room.channelId, peer.userId);
        return { paused: producer.paused };
      }),

    resume_producer: (payload) =>
      runCommand(schemas.producer, payload, async (input: { producer_id: string }) => {
        const producer = producerOf(input.producer_id);
        peer.clientPaused.delete(producer.id);
        await node.sync(room.channelId, peer.userId);
        return { paused: producer.paused };
      }),

    close_producer: (payload) =>
      runCommand(schemas.producer, payload, async (input: { producer_id: string }) => {
        const producer = producerOf(input.producer_id);
        producer.close();
        peer.producers.delete(producer.id);
        peer.clientPaused.delete(producer.id);
        node.producerClosed(room, producer);
        await node.refreshMediaFlags(room, peer);
        return {};
      }),

    ...Object.fromEntries(
      Object.entries(STAGE_COMMANDS).map(([name, command]): [string, Handler] => [
        name,
        (payload) =>
          runCommand(
            command.schema,
            withRoomChannel(payload, room.channelId),
            async (input: StageCommandInput) => ({
              voice_state: await command.run(rt, peer.userId, input),
            }),
          ),
      ]),
    ),
  };

  const socket = peer.socket;
  // Client events are untyped input: the table decides which exist, the schema what they hold.
  socket.onAny((name: unknown, ...args: unknown[]) => {
    const handler = typeof name === 'string' && Object.hasOwn(handlers, name) ? handlers[name] : undefined;
    answerCommand(
      args,
      (payload) =>
        limiter.consume(socket.id).then(
          (): Promise<VoiceAck> | VoiceAck =>
            handler
              ? handler(payload)
              : {
                  ok: false,
                  code: 'unknown_command',
                  message: `Unknown command: ${String(name).slice(0, 100)}. Commands: ${Object.keys(handlers).join(', ')}`,
                },
          (res: { msBeforeNext: number }) => {
            const err = new RateLimitedError(res.msBeforeNext / 1000);
            return { ok: false as const, code: err.code, message: err.message, ...err.extra };
          },
        ),
      (err) => rt.logger.error({ err, command: name }, 'voice command failed'),
    );
  });
}
