/**
 * The events an outgoing webhook may subscribe to: gateway dispatch names, with the same payloads
 * (`data`) the gateway sends. PING is not subscribable: it is the test delivery of POST .../ping.
 */
export const OUTGOING_EVENT_TYPES = [
  'MESSAGE_CREATE',
  'MESSAGE_UPDATE',
  'MESSAGE_DELETE',
  'MESSAGE_DELETE_BULK',
  'MESSAGE_REACTION_ADD',
  'MESSAGE_REACTION_REMOVE',
  'SERVER_MEMBER_ADD',
  'SERVER_MEMBER_REMOVE',
  'CHANNEL_CREATE',
  'CHANNEL_UPDATE',
  'CHANNEL_DELETE',
] as const;
export type OutgoingEventType = (typeof OUTGOING_EVENT_TYPES)[number];

/** The type of the test delivery a manager sends with POST /event-webhooks/{id}/ping. */
export const PING_EVENT = 'PING';
