export * from './dispatch-map.js';
export { EventPublisher, socketIoKey } from './publisher.js';
export { startTyping } from './typing.js';
