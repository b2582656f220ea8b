import type { Transaction } from 'sequelize';
import type { Config } from '../config/index.js';
import type { Row } from '../db/models/index.js';
import type { Effects } from '../outbox/index.js';
import type { InteractionObject } from '../presenters/interaction.js';
import type { InteractionDeliverJob } from '../queues/index.js';
import type { Runtime } from '../runtime.js';
import { decodeSnowflake } from '../snowflake.js';
import { webhookSecretBox } from './event-webhooks.js';

/**
 * Interactions for applications with an interactions_url are delivered like event webhooks: a
 * row in the delivery log (interaction_deliveries) and a job per attempt on the webhooks queue
 * (workers/processors/interaction-delivery.ts), so an API process that dies after the invocation
 * loses nothing. The token never goes into a job and is stored sealed, only until the delivery ends.
 */

/** The job id of one attempt: each attempt of a delivery is queued once. */
export function interactionAttemptJobId(deliveryId: string, attempt: number): string {
  return `ixd-${deliveryId}-${attempt}`;
}

/** Queues attempt `attempt` of an interaction delivery, `delayMs` from now. */
export async function queueInteractionAttempt(
  rt: Pick<Runtime, 'queues'>,
  deliveryId: string,
  attempt: number,
  delayMs = 0,
): Promise<void> {
  const job: InteractionDeliverJob = { kind: 'interaction', delivery_id: deliveryId, attempt };
  await rt.queues.webhooks.add('interaction', job, {
    jobId: interactionAttemptJobId(deliveryId, attempt),
    delay: Math.max(0, Math.round(delayMs)),
  });
}

/**
 * Stores the delivery of `interaction` (its deadline is `respond_by`) in a command's
 * `transaction`, with its first attempt's job as an effect (`fx`): queued once it is committed, or
 * by the relay loop if Redis refused it then (the deadline still bounds every attempt).
 */
export async function storeInteractionDelivery(
  rt: Pick<Runtime, 'models' | 'snowflake' | 'config'>,
  app: Pick<Row<'Application'>, 'id'>,
  interaction: InteractionObject,
  transaction: Transaction,
  fx: Effects,
): Promise<Row<'InteractionDelivery'>> {
  const { token, ...payload } = interaction;
  const id = rt.snowflake.next();
  const delivery = await rt.models.InteractionDelivery.create(
    {
      id,
      application_id: app.id,
      interaction_id: interaction.id,
      payload,
      sealed_token: webhookSecretBox(rt.config).seal(token),
      next_attempt_at: new Date(),
      deadline_at: new Date(interaction.respond_by),
      created_at: new Date(decodeSnowflake(id).timestampMs),
    },
    { transaction },
  );
  const job: InteractionDeliverJob = { kind: 'interaction', delivery_id: id, attempt: 1 };
  fx.job('webhooks', 'interaction', job, { jobId: interactionAttemptJobId(id, 1) });
  return delivery;
}

/** The body POSTed to the interactions_url: the stored payload with its token put back. */
export function interactionBody(
  config: Pick<Config, 'security' | 'data_dir'>,
  delivery: Pick<Row<'InteractionDelivery'>, 'payload' | 'sealed_token'>,
): string {
  if (delivery.sealed_token === null) throw new Error('the delivery has ended: its token is gone');
  const token = webhookSecretBox(config).open(delivery.sealed_token);
  return JSON.stringify({ ...delivery.payload, token });
}
