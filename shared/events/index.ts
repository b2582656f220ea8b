export * from './dispatch-map.js';
export { EventPublisher, socketIoKey } from './publisher.js';
