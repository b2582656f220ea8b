import { SecretBox } from '../shared/auth/secret-box.js';
import type { Runtime } from '../shared/runtime.js';
import { IpRules } from './security/ip-rules.js';
import { Throttles } from './security/throttle.js';

/** Per-process helpers the routes share. */
export interface ApiServices {
  throttles: Throttles;
  secretBox: SecretBox;
  ipRules: IpRules;
}

/** Builds the API's services on a runtime. */
export function createServices(rt: Runtime): ApiServices {
  return {
    throttles: new Throttles(rt),
    secretBox: SecretBox.fromConfig(rt.config),
    ipRules: new IpRules(rt),
  };
}
