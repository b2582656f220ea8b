import { rooms } from '../../shared/events/index.js';
import type { InteractionObject } from '../../shared/presenters/interaction.js';
import type { Runtime } from '../../shared/runtime.js';

/**
 * Sends INTERACTION_CREATE to the bot user's own room: every gateway session of the bot gets it.
 * (Applications with an interactions_url get a POST instead, as a job: queueInteractionDelivery.)
 */
export async function deliverOverGateway(
  rt: Runtime,
  interaction: InteractionObject,
  botUserId: string,
): Promise<void> {
  await rt.events.dispatch([rooms.user(botUserId)], 'INTERACTION_CREATE', interaction);
}
