import { SecretBox } from '../shared/auth/secret-box.js';
import { createQueueEvents, type QueueEventSet } from '../shared/queues/index.js';
import type { Runtime } from '../shared/runtime.js';
import { IpRules } from './security/ip-rules.js';
import { Throttles } from './security/throttle.js';

/** Per-process helpers the routes share. */
export interface ApiServices {
  throttles: Throttles;
  secretBox: SecretBox;
  ipRules: IpRules;
  /** Job completion events, so a request can wait for its job's result. */
  queueEvents: QueueEventSet;
}

/** Builds the API's services on a runtime. */
export function createServices(rt: Runtime): ApiServices {
  const queueEvents = createQueueEvents(rt.config, rt.logger);
  // Every request waiting for its job adds a listener to the queue and to its events (removed
  // when it finishes): hundreds at once under load are expected, not a leak.
  rt.queues.messages.setMaxListeners(0);
  for (const events of Object.values(queueEvents.events)) events.setMaxListeners(0);
  rt.lifecycle.add('api queue events', () => queueEvents.close());
  return {
    throttles: new Throttles(rt),
    secretBox: SecretBox.fromConfig(rt.config),
    ipRules: new IpRules(rt),
    queueEvents,
  };
}
