import crypto from 'node:crypto';
import { QueryTypes, type Transaction } from 'sequelize';
import type { Runtime } from '../../runtime.js';
import { oneOf, trimWhere } from '../../text.js';

/** Longest base taken from the name: room for a `_1234` suffix within the 32-character limit. */
const BASE_LENGTH = 26;

/**
 * The username a bot named `name` would like: the name's letters and digits (accents dropped,
 * everything else `_`), as usernames allow (2-32 of `[A-Za-z0-9_.]`); `bot` when little is left.
 */
export function usernameBase(name: string): string {
  const collapsed = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_.]+/g, '_')
    .replace(/_{2,}/g, '_');
  const base = trimWhere(trimWhere(collapsed, oneOf('_.')).slice(0, BASE_LENGTH), oneOf('_.'), 'end');
  return base.length >= 2 ? base : 'bot';
}

/**
 * A username no one has (regardless of case) derived from `name`: the base itself when it is free,
 * else the base with a random `_NNNN`. A concurrent taker is caught by the unique index.
 */
export async function freeBotUsername(
  rt: Pick<Runtime, 'sequelize'>,
  name: string,
  transaction?: Transaction,
): Promise<string> {
  const base = usernameBase(name);
  const candidates = [
    base,
    ...Array.from({ length: 8 }, () => `${base}_${crypto.randomInt(1000, 10000)}`),
    ...Array.from({ length: 4 }, () => `${base}_${crypto.randomBytes(2).toString('hex')}`),
  ];
  const taken = await rt.sequelize.query<{ name: string }>(
    `SELECT lower(username) AS name FROM users WHERE lower(username) = ANY($1::text[])`,
    { bind: [candidates.map((c) => c.toLowerCase())], type: QueryTypes.SELECT, transaction },
  );
  const used = new Set(taken.map((t) => t.name));
  const free = candidates.find((c) => !used.has(c.toLowerCase()));
  // Twelve random suffixes all taken: a base this crowded gets a long random one.
  return free ?? `${base.slice(0, 19)}_${crypto.randomBytes(6).toString('hex')}`;
}
