import type Joi from 'joi';
import type { Row } from '../../shared/db/models/index.js';
import { ApiError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { SIGNATURE_HEADER, signPayload } from '../../shared/integrations/signature.js';
import { SafeFetchError, safeFetch } from '../../shared/net/safe-fetch.js';
import type { InteractionObject } from '../../shared/presenters/interaction.js';
import type { Runtime } from '../../shared/runtime.js';
import { callbackBody } from '../routes/interactions/schema.js';
import type { ApiServices } from '../services.js';
import { acceptCallback, type CallbackInput } from './respond.js';
import { interactionsSecret } from './secret.js';
import { claimAck, publishOutcome, type InteractionRecord } from './store.js';

/** Most bytes read of an interactions endpoint's answer (a callback with 10 full embeds fits). */
const MAX_ANSWER_BYTES = 256 * 1024;

/** Sends INTERACTION_CREATE to the bot user's own room: every gateway session of the bot gets it. */
export async function deliverOverGateway(
  rt: Runtime,
  interaction: InteractionObject,
  botUserId: string,
): Promise<void> {
  await rt.events.dispatch([rooms.user(botUserId)], 'INTERACTION_CREATE', interaction);
}

/** Fails the interaction (unless an answer got in first) and tells the waiting user why. */
async function fail(rt: Runtime, record: InteractionRecord, reason: string): Promise<void> {
  rt.logger.info(
    { interaction: record.id, application: record.application_id, reason },
    'interaction failed',
  );
  if ((await claimAck(rt, record, { type: 'failed' })) === null) {
    await publishOutcome(rt, record, { failed: reason });
  }
}

/**
 * POSTs the interaction to the application's interactions_url, signed with its interactions
 * secret (X-Plexichat-Signature, shared/integrations/signature.ts), through the SSRF-safe fetcher,
 * bounded by the deadline and without following redirects. A 2xx with a JSON body is the first
 * answer (a callback object); a 2xx without a body means the application answers through the
 * callback route. Anything else fails the interaction at once. Never throws.
 */
export async function deliverOverHttp(
  rt: Runtime,
  services: ApiServices,
  app: Row<'Application'>,
  record: InteractionRecord,
  interaction: InteractionObject,
): Promise<void> {
  try {
    const secret = await interactionsSecret(rt, services.secretBox, app);
    const body = JSON.stringify(interaction);
    let status: number;
    let text: string;
    try {
      const res = await safeFetch(app.interactions_url as string, {
        outbound: { ...rt.config.outbound, total_timeout_ms: Math.max(100, record.deadline_at - Date.now()) },
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signPayload(secret, body),
          'x-plexichat-interaction-id': record.id,
        },
        body,
        maxBytes: MAX_ANSWER_BYTES,
        requireOk: false,
        maxRedirects: 0,
      });
      status = res.status;
      text = (await res.read()).toString('utf8');
    } catch (err) {
      // Out of time: the deadline fails it (and a callback through the route may still win the race).
      if (err instanceof SafeFetchError && err.code === 'timeout') return;
      const code = err instanceof SafeFetchError ? err.code : 'fetch_failed';
      return fail(rt, record, `its interactions endpoint could not be reached (${code})`);
    }
    if (status < 200 || status > 299) return fail(rt, record, `its interactions endpoint answered ${status}`);
    if (text.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return fail(rt, record, 'its interactions endpoint answered something other than JSON');
    }
    const checked: Joi.ValidationResult<CallbackInput> = callbackBody.validate(parsed, { convert: true });
    if (checked.error)
      return fail(rt, record, `its answer is not a valid callback (${checked.error.message})`);
    try {
      await acceptCallback(rt, services, record, checked.value);
    } catch (err) {
      // Answered through the callback route first, or too late: the interaction is decided already.
      if (err instanceof ApiError && (err.status === 409 || err.status === 410)) return;
      throw err;
    }
  } catch (err) {
    rt.logger.warn({ err, interaction: record.id }, 'interaction delivery failed');
    await fail(rt, record, 'its answer could not be handled').catch(() => undefined);
  }
}
