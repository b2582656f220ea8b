import crypto from 'node:crypto';
import { hashToken } from '../../shared/auth/tokens.js';
import type { Runtime } from '../../shared/runtime.js';

// The login's second step: tickets. Checking a code, spending it with the sign-in it opens, and
// turning 2FA on and off are in shared/accounts/second-factor.ts and shared/domain/accounts/
// (sign-in.ts, mfa.ts).

function ticketKey(rt: Runtime, ticket: string): string {
  return `${rt.config.redis.key_prefix}:mfa_ticket:${hashToken(ticket).toString('hex')}`;
}

/** A short-lived ticket standing for "password verified, second factor pending". */
export async function createTicket(rt: Runtime, userId: string): Promise<string> {
  const ticket = crypto.randomBytes(32).toString('base64url');
  await rt.redis.set(ticketKey(rt, ticket), userId, 'EX', rt.config.security.mfa_ticket_ttl_seconds);
  return ticket;
}

/**
 * Claims one code attempt on a ticket, before the code is checked: the ticket's user, and whether
 * this is the last attempt it allows (a wrong code then kills it); null when the ticket is unknown,
 * expired, used, or had all its attempts. The count is an INCR, so however many requests race,
 * at most `security.throttle.mfa_account.points` codes are ever judged per ticket.
 */
export async function claimTicketAttempt(
  rt: Runtime,
  ticket: string,
): Promise<{ userId: string; exhausted: boolean } | null> {
  const key = ticketKey(rt, ticket);
  const results = await rt.redis
    .multi()
    .get(key)
    .incr(`${key}:tries`)
    .expire(`${key}:tries`, rt.config.security.mfa_ticket_ttl_seconds)
    .exec();
  const userId = results?.[0]?.[1];
  const tries = Number(results?.[1]?.[1]);
  if (typeof userId !== 'string') return null;
  const allowed = rt.config.security.throttle.mfa_account.points;
  if (tries > allowed) {
    await rt.redis.del(key);
    return null;
  }
  return { userId, exhausted: tries >= allowed };
}

/** Uses a ticket up; false when it was already used (two requests raced with the same ticket). */
export async function consumeTicket(rt: Runtime, ticket: string): Promise<boolean> {
  return (await rt.redis.del(ticketKey(rt, ticket))) === 1;
}
