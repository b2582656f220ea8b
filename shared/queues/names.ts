/**
 * Every BullMQ queue. A queue is listed here when its processor exists in workers/processors;
 * the worker runner refuses to start if one has no processor (the map there is typed by this list).
 */
export const QUEUE_NAMES = [
  'messages',
  'media',
  'embeds',
  'webhooks',
  'push',
  'automod',
  'exports',
  'mail',
] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
