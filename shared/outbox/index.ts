export { Effects, type Effect, type JobEffectOptions } from './effects.js';
export { CommandEffects, runBatchStatement, runCommand, runStatement, type BatchPart } from './command.js';
export {
  eventId,
  relayEffects,
  relayLeftovers,
  startOutboxRelay,
  RELAY_GRACE_MS,
  RELAY_INTERVAL_MS,
  type RelayRuntime,
} from './relay.js';
export { crashPoint, type CrashPoint } from './fault.js';
export { heldFor, holdOrder, inOrder, type HoldOptions, type OrderHold } from './order.js';
