/**
 * What the contract sweep (harness.ts) checks answers with: `Sweep`, which collects a test's
 * deviations, the shapes API.md and spec/data-types.txt give (servers, channels, messages,
 * rate-limit headers), and the format scan of every id, bitfield and timestamp. Written from those
 * documents alone: nothing here reads the server's own types.
 */
import type { ApiResponse } from '../helpers/accounts.js';

const EPOCH_MS = 1704067200000n;
const SNOWFLAKE = /^(0|[1-9]\d{0,18})$/;
const SNAKE = /^[a-z][a-z0-9_]*$/;

// Bodies are whatever the server sent, and each check reads its own fields of them: a checker's
// view, not the server's types (which this sweep must not lean on). So `any`, and lambdas that
// pick a field out of one return `any` as well.
/* eslint-disable @typescript-eslint/no-unsafe-return */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type Json = any;

/** Collects deviations; `done()` fails the test listing every one of them. */
export class Sweep {
  readonly problems: string[] = [];
  ok(cond: unknown, what: string): boolean {
    if (!cond) this.problems.push(what);
    return Boolean(cond);
  }
  eq(actual: unknown, expected: unknown, what: string): boolean {
    return this.ok(
      JSON.stringify(actual) === JSON.stringify(expected),
      `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)?.slice(0, 300)}`,
    );
  }
  status(res: ApiResponse, expected: number, what: string): boolean {
    return this.ok(
      res.status === expected,
      `${what}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`,
    );
  }
  /** The error body of API.md: `{code, message, errors?}`, with `fields` named in `errors`. */
  error(res: ApiResponse, status: number, what: string, code?: string, fields: string[] = []): void {
    if (!this.status(res, status, what)) return;
    const body = res.body ?? {};
    this.ok(
      typeof body.code === 'string' && SNAKE.test(body.code),
      `${what}: code ${JSON.stringify(body.code)} is not snake_case`,
    );
    this.ok(typeof body.message === 'string' && body.message.length > 0, `${what}: no message`);
    if (code) this.eq(body.code, code, `${what}: code`);
    for (const field of fields) {
      this.ok(
        body.errors && field in body.errors,
        `${what}: errors does not name ${field} (${JSON.stringify(body.errors)})`,
      );
    }
    if (body.errors !== undefined) {
      this.ok(
        body.errors !== null && typeof body.errors === 'object' && !Array.isArray(body.errors),
        `${what}: errors is not an object`,
      );
    }
  }
  /** A 400 naming `fields` in `errors` (a validation refusal). */
  invalid(res: ApiResponse, what: string, ...fields: string[]): void {
    this.error(res, 400, what, undefined, fields);
  }
  snowflake(value: unknown, what: string): boolean {
    return this.ok(
      typeof value === 'string' && SNOWFLAKE.test(value),
      `${what}: ${JSON.stringify(value)} is not a decimal-string snowflake`,
    );
  }
  /** `created_at` an integer of unix seconds, equal to the id's own time. */
  created(obj: Json, what: string): void {
    if (!this.snowflake(obj?.id, `${what}.id`)) return;
    const fromId = idTime(obj.id);
    this.ok(
      Number.isInteger(obj.created_at),
      `${what}.created_at ${JSON.stringify(obj.created_at)} is not integer unix seconds`,
    );
    this.ok(
      obj.created_at === fromId,
      `${what}.created_at ${obj.created_at} disagrees with the id's time ${fromId}`,
    );
  }
  user(u: Json, what: string): void {
    this.created(u, what);
    this.ok(typeof u?.username === 'string', `${what}.username missing`);
    this.ok(u && 'avatar_url' in u, `${what}.avatar_url missing (data-types: nullable, but listed)`);
  }
  perms(value: unknown, what: string): void {
    this.ok(
      typeof value === 'string' && /^\d+$/.test(value),
      `${what}: ${JSON.stringify(value)} is not a decimal-string bitfield`,
    );
  }
  /** Every key of `keys` present in `obj`. */
  has(obj: Json, keys: string[], what: string): void {
    for (const key of keys) this.ok(obj && key in obj, `${what} lacks ${key}`);
  }
  /** A success: any of `statuses` (API.md leaves the exact one open there). */
  oneOf(res: { status: number }, statuses: number[], what: string): boolean {
    return this.ok(statuses.includes(res.status), `${what}: ${res.status}`);
  }
  done(): void {
    expect(this.problems).toEqual([]);
  }
}

export const idTime = (id: string): number => Number(((BigInt(id) >> 22n) + EPOCH_MS) / 1000n);
/** `list` mapped by `f` when it is an array (else what it was, for the deviation's text). */
export const mapped = (list: unknown, f: (x: Json) => unknown): unknown =>
  Array.isArray(list) ? list.map(f) : list;
/** The ids of `list` (or what it was). */
export const idsOf = (list: unknown): unknown => mapped(list, (x) => x.id);
/** A list answer: the array itself, or the array under `key` of a wrapping object. */
export const listIn = (body: Json, ...keys: string[]): Json[] | undefined =>
  Array.isArray(body) ? body : keys.map((key) => body?.[key]).find((v) => v !== undefined);
/** The entries of an audit log answer (a list, or wrapped as Discord does). */
export const auditEntries = (body: Json): Json[] | undefined => listIn(body, 'audit_log_entries', 'entries');

/** The headers API.md puts on every answer of a rate-limited route. */
export function rateLimitHeaders(s: Sweep, res: ApiResponse, what: string): void {
  for (const h of [
    'x-ratelimit-limit',
    'x-ratelimit-remaining',
    'x-ratelimit-reset',
    'x-ratelimit-reset-after',
    'x-ratelimit-bucket',
  ]) {
    s.ok(res.headers.get(h) !== null, `${what} lacks ${h}`);
  }
}

export function checkServer(s: Sweep, server: Json, what: string): void {
  s.created(server, what);
  s.has(server, ['name', 'description', 'icon_url', 'owner_id', 'member_count'], what);
  s.snowflake(server?.owner_id, `${what}.owner_id`);
  s.ok(Number.isInteger(server?.member_count), `${what}.member_count ${server?.member_count}`);
}

export function checkChannel(s: Sweep, channel: Json, what: string): void {
  s.created(channel, what);
  s.has(
    channel,
    ['server_id', 'name', 'channel_type', 'topic', 'position', 'nsfw', 'slowmode_seconds', 'parent_id'],
    what,
  );
  s.ok(
    ['text', 'voice', 'category', 'dm', 'notes', 'stage', 'announcement', 'forum'].includes(
      channel?.channel_type,
    ),
    `${what}.channel_type ${channel?.channel_type}`,
  );
}

export function checkMessage(s: Sweep, msg: Json, what: string): void {
  s.created(msg, what);
  s.has(
    msg,
    [
      'channel_id',
      'author_id',
      'content',
      'edited_at',
      'attachments',
      'embeds',
      'pinned',
      'type',
      'content_html',
      'mentions',
      'mention_roles',
      'mention_everyone',
      'reactions',
      'reply_to',
      'thread_id',
      'webhook_id',
      'nonce',
    ],
    what,
  );
  s.snowflake(msg?.channel_id, `${what}.channel_id`);
  s.ok(msg?.edited_at === null || Number.isInteger(msg?.edited_at), `${what}.edited_at ${msg?.edited_at}`);
  for (const key of ['attachments', 'embeds', 'mentions', 'mention_roles', 'reactions']) {
    s.ok(Array.isArray(msg?.[key]), `${what}.${key} is not an array`);
  }
  s.ok(typeof msg?.mention_everyone === 'boolean', `${what}.mention_everyone not boolean`);
  s.ok(typeof msg?.pinned === 'boolean', `${what}.pinned not boolean`);
}

export type Flag = (what: string, path: string, problem: string) => void;

/** Flags, through `flag`, each id, bitfield and timestamp under `node` not in the wire format. */
export function scanFormats(flag: Flag, what: string, node: unknown, path: string): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => scanFormats(flag, what, v, `${path}[${i}]`));
    return;
  }
  if (!node || typeof node !== 'object') return;
  const isId = (v: unknown) => typeof v === 'string' && SNOWFLAKE.test(v);
  const obj = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(obj)) {
    const at = `${path}.${key}`;
    // Not snowflakes by design: the gateway's session id and a request id are opaque strings.
    // /admin/stats names processes by an opaque instance label, not an object id.
    const opaque = key === 'session_id' || key === 'request_id' || /\.process(es\[\d+\])?$/.test(path);
    if (
      (key === 'id' || key.endsWith('_id')) &&
      !opaque &&
      value !== null &&
      value !== undefined &&
      !isId(value)
    ) {
      flag(what, at, `${JSON.stringify(value)} is not a decimal-string id`);
    }
    if ((key.endsWith('_ids') || key === 'roles' || key === 'mention_roles') && Array.isArray(value)) {
      if (!value.every((v) => isId(v) || (v && typeof v === 'object')))
        flag(what, at, 'ids not decimal strings');
    }
    if (['permissions', 'allow', 'deny'].includes(key) || key.endsWith('_permissions')) {
      if (value !== null && !(typeof value === 'string' && /^\d+$/.test(value))) {
        flag(what, at, `${JSON.stringify(value)} is not a decimal-string bitfield`);
      }
    }
    if (key.endsWith('_at') && value !== null && !Number.isInteger(value)) {
      flag(what, at, `${JSON.stringify(value)} is not integer unix seconds`);
    }
    // An error's `errors` map says why a field was refused; its values are prose.
    if (!(key === 'errors' && path === '$')) scanFormats(flag, what, value, at);
  }
  if (isId(obj.id) && Number.isInteger(obj.created_at) && obj.created_at !== idTime(obj.id as string)) {
    flag(
      what,
      `${path}.created_at`,
      `disagrees with its id (${String(obj.created_at)} vs ${idTime(obj.id as string)})`,
    );
  }
}
