import { Intent, contentVisibleWithoutIntent, withoutContent } from '../../shared/intents.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import type { Runtime } from '../../shared/runtime.js';
import type { AuthContext } from '../auth/context.js';

/** Whether the caller is a bot whose application has not enabled MESSAGE_CONTENT (one query for bots). */
export async function lacksMessageContent(rt: Runtime, auth: AuthContext): Promise<boolean> {
  if (auth.kind !== 'bot') return false;
  const app = await rt.models.Application.findOne({
    where: { bot_user_id: auth.user.id },
    attributes: ['intents'],
  });
  return (Number(app?.intents ?? 0) & Intent.MESSAGE_CONTENT) === 0;
}

/**
 * Messages as the REST caller may read them: a bot whose application has not enabled
 * MESSAGE_CONTENT gets server-channel messages without content, rendering, embeds or attachments,
 * except its own and those that mention it (DMs are always whole), as on the gateway.
 */
export async function visibleContent(
  rt: Runtime,
  auth: AuthContext,
  channel: { server_id: string | null },
  messages: MessageObject[],
): Promise<MessageObject[]> {
  return (await readsAllContent(rt, auth, channel)) ? messages : blankContent(messages, auth.user.id);
}

/** Whether the REST caller reads a channel's messages whole (visibleContent changes none of them). */
export async function readsAllContent(
  rt: Runtime,
  auth: AuthContext,
  channel: { server_id: string | null },
): Promise<boolean> {
  return channel.server_id === null || !(await lacksMessageContent(rt, auth));
}

/** Server-channel messages as bot `botUserId` sees them without MESSAGE_CONTENT. */
export function blankContent(messages: MessageObject[], botUserId: string): MessageObject[] {
  return messages.map((m) => (contentVisibleWithoutIntent(m, botUserId, false) ? m : withoutContent(m)));
}
