import { presentSubscription, type PushSubscriptionObject } from '../../shared/domain/push/subscriptions.js';
import type { Runtime } from '../../shared/runtime.js';

/** The caller's subscriptions, oldest first. */
export async function listSubscriptions(rt: Runtime, userId: string): Promise<PushSubscriptionObject[]> {
  const rows = await rt.models.PushSubscription.findAll({
    where: { user_id: userId },
    order: [['id', 'ASC']],
  });
  return rows.map(presentSubscription);
}
