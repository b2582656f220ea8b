export * from './dispatch-map.js';
export {
  EventPublisher,
  eventRetentionMs,
  eventStreamKey,
  socketIoKey,
  type StreamEntry,
} from './publisher.js';
export { startTyping } from './typing.js';
