import type { DeliveryStatus, Row } from '../../shared/db/models/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { pageBy } from '../../shared/pagination.js';
import { unixSeconds } from '../../shared/presenters/time.js';
import type { Runtime } from '../../shared/runtime.js';
import type { AuthContext } from '../auth/context.js';
import { manageableApplication } from '../../shared/domain/interactions/commands.js';
import { commandActor } from './commands.js';

/** A page request of an application's delivery log. */
export interface InteractionDeliveryQuery {
  limit: number;
  before?: string;
  after?: string;
  status?: DeliveryStatus;
}

/** One attempt, as the log shows it. */
export interface DeliveryAttemptObject {
  attempt: number;
  started_at: number;
  finished_at: number;
  status_code: number | null;
  error: string | null;
  latency_ms: number | null;
}

/** One interaction POSTed to the application's interactions_url, with every attempt. */
export interface InteractionDeliveryObject {
  id: string;
  application_id: string;
  interaction_id: string;
  status: DeliveryStatus;
  attempts: number;
  attempt_log: DeliveryAttemptObject[];
  last_status_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  next_attempt_at: number | null;
  deadline_at: number;
  created_at: number;
  completed_at: number | null;
  /** The body sent, without the interaction's token. */
  payload: Record<string, unknown>;
}

/** The delivery object of a row (never the token, sealed or not). */
export function presentInteractionDelivery(row: Row<'InteractionDelivery'>): InteractionDeliveryObject {
  return {
    id: row.id,
    application_id: row.application_id,
    interaction_id: row.interaction_id,
    status: row.status,
    attempts: row.attempts,
    attempt_log: row.attempt_log.map((a) => ({
      attempt: a.attempt,
      started_at: Math.floor(a.started_at / 1000),
      finished_at: Math.floor(a.finished_at / 1000),
      status_code: a.status_code,
      error: a.error,
      latency_ms: a.latency_ms,
    })),
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    last_latency_ms: row.last_latency_ms,
    next_attempt_at: unixSeconds(row.next_attempt_at),
    deadline_at: unixSeconds(row.deadline_at),
    created_at: unixSeconds(row.created_at),
    completed_at: unixSeconds(row.completed_at),
    payload: row.payload,
  };
}

/**
 * The application's interaction deliveries, newest first (oldest first with `after`), optionally
 * of one status. Its owner's alone: its bot (a leaked bot token) and anyone else get 404.
 */
export async function listInteractionDeliveries(
  rt: Runtime,
  appId: string,
  auth: AuthContext,
  query: InteractionDeliveryQuery,
): Promise<InteractionDeliveryObject[]> {
  if (auth.kind === 'bot') throw new NotFoundError('application');
  const app = await manageableApplication(rt, appId, commandActor(auth));
  const page = pageBy('id', query);
  const rows = await rt.models.InteractionDelivery.findAll({
    where: { application_id: app.id, ...(query.status ? { status: query.status } : {}), ...page.where },
    order: page.order,
    limit: page.limit,
  });
  return rows.map(presentInteractionDelivery);
}
