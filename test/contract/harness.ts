/**
 * The harness of the contract sweep: a black-box walk of the public contract (API.md and
 * spec/data-types.txt), written the way a checker who read only those documents would write it.
 * Every request goes over HTTP or socket.io to a real started instance on 127.0.0.1 (rate limits on,
 * as `npm start` runs), and every check is about what API.md states: paths under /api/v1, methods,
 * status codes, body shapes and field names, ID and timestamp formats, pagination order, permission
 * rules and the gateway protocol. The sweep is split by API.md's sections, one `*.test.ts` a section
 * in this folder; this module is what they share (with shapes.ts, the checks, and fixtures.ts, the
 * cases they build).
 *
 * The only things done behind the API's back are what an operator does outside it: granting the
 * instance admin flag (as `cli admin grant` does) and reading the mail an SMTP server received.
 *
 * Each test collects every deviation it finds (`Sweep`), so one run lists all of them instead of
 * stopping at the first. Every answer and gateway frame a file sees is kept, and the file's last
 * test (`formatsEverywhere()`) checks their ids, bitfields and timestamps.
 *
 * The instance under test: by default each file starts one (rate limits on, voice on, mail to an
 * SMTP receiver on loopback); Jest gives each test file its own copy of this module, so each file
 * has its own instance and its own collection of answers. To check one started elsewhere
 * (`npm start`) instead, run the whole folder (or any file of it) with its URL:
 *
 *   PLEXICHAT_SWEEP_URL=http://127.0.0.1:<port> npx jest test/contract
 *
 * (plus the test database and Redis variables the suite's global set-up wants, and
 * NODE_OPTIONS=--experimental-vm-modules as `npm test` sets it). Every file then starts nothing and
 * sends everything there. That instance must trust X-Forwarded-For from loopback
 * (`server.trusted_proxies`) since the sweep speaks for many clients. The checks that need the mail
 * or the admin flag are then left out, unless `PLEXICHAT_SWEEP_ADMIN_TOKEN` gives an admin's token.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { api, randomIp, setAdminByHand, type TestUser } from '../helpers/accounts.js';
import { standIn, type TestApp } from '../helpers/app.js';
import { connectGateway, type GatewayClient } from '../helpers/gateway-client.js';
import { useMailApp } from '../helpers/mail-app.js';
import type { SmtpReceiver } from '../helpers/smtp-receiver.js';
import { scanFormats, Sweep, type Json } from './shapes.js';

const EXTERNAL = process.env.PLEXICHAT_SWEEP_URL?.replace(/\/+$/, '');
const local = EXTERNAL ? null : useMailApp({ rate_limits: { enabled: true } }, { voice: true });
export const app: Pick<TestApp, 'origin' | 'api'> = EXTERNAL
  ? { origin: EXTERNAL, api: `${EXTERNAL}/api/v1` }
  : standIn('app', () => local!.app);
/** Mail the instance sent, when the sweep started it. */
export const smtp: SmtpReceiver | null = local?.smtp ?? null;
/** Whether the sweep started the instance itself (and so may change instance-wide settings). */
export const startedHere = local !== null;

/** An admin's token: `user` made admin (as `cli admin grant` does) when the sweep started the instance. */
export async function adminToken(user: TestUser): Promise<string | null> {
  if (!local) return process.env.PLEXICHAT_SWEEP_ADMIN_TOKEN ?? null;
  await setAdminByHand(local.app, user.id, true);
  return user.token;
}

/**
 * A test of the sweep (given a timeout in ms when it needs more than Jest's): `body` records
 * deviations in a fresh Sweep, and the test then fails listing every one of them.
 */
export function sweep(name: string, ...args: [Body] | [timeoutMs: number, body: Body]): void {
  const [timeoutMs, body] = args.length === 1 ? [undefined, args[0]] : args;
  it(
    name,
    async () => {
      const s = new Sweep();
      await body(s);
      s.done();
    },
    timeoutMs,
  );
}
type Body = (s: Sweep) => Promise<void>;

export type Caller = Pick<TestUser, 'token'> & { bot?: boolean };

/** Every JSON answer and gateway frame this file's tests saw, for the format scan at its end. */
const seen: { what: string; body: unknown }[] = [];
const clients: GatewayClient[] = [];

/** A request as a checker makes it: JSON, the caller's token under its scheme, a fresh client address. */
export async function call(
  method: string,
  path: string,
  who?: Caller | null,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const h: Record<string, string> = { 'x-forwarded-for': randomIp(), ...headers };
  if (who) h.authorization = `${who.bot ? 'Bot' : 'Bearer'} ${who.token}`;
  const res = await api(app, method, path, { body, headers: h });
  if (res.body && typeof res.body === 'object')
    seen.push({ what: `${method} ${path} -> ${res.status}`, body: res.body });
  return res;
}

// Every test's gateway connections close when it ends, whatever it found.
afterEach(() => {
  for (const client of clients) client.close();
});

/** A gateway connection (as connectGateway), kept for the format scan and closed after its test. */
export async function gateway(...args: Parameters<typeof connectGateway>): Promise<GatewayClient> {
  const client = await connectGateway(...args);
  clients.push(client);
  return client;
}

/** A gateway connection of `who` (a new session). */
export const connect = (who: Caller): Promise<GatewayClient> => gateway(app.origin, { token: who.token });

/** Sends client command `name` and checks it is acked `ok`; resolves with the ack. */
export async function acked(
  s: Sweep,
  gw: GatewayClient,
  name: string,
  payload: unknown,
  what = name,
): Promise<Record<string, unknown>> {
  const ack = await gw.command(name, payload);
  s.eq(ack.ok, true, `${what} ack ${JSON.stringify(ack).slice(0, 200)}`);
  return ack;
}

/** Whether the server closes `client`'s connection within 5 s (from now). */
export function closedWithin(client: GatewayClient): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    client.socket.once('disconnect', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Whether ending session `token` with `end` closes a gateway connection of that session (within 5 s). */
export async function closedBy(token: string, end: () => Promise<unknown>): Promise<boolean> {
  const closed = closedWithin(await gateway(app.origin, { token }));
  await end();
  return closed;
}

/** A `voice_state_update` command's payload: into `channel_id` (null: out of voice), unmuted. */
export const voiceState = (channel_id: string | null) => ({ channel_id, self_mute: false, self_deaf: false });

/**
 * The payload of the first frame of type `t` (and matching `also`) that `client` has or gets within
 * `ms`; none is recorded as a deviation (`what`) rather than thrown, so the test goes on.
 */
export async function frameOf(
  s: Sweep,
  client: GatewayClient,
  t: string,
  also: (d: Json) => boolean = () => true,
  ms = 5000,
  what = `no ${t} dispatch`,
): Promise<Json> {
  const got = await client.waitForFrames(1, (f) => f.t === t && also(f.d), ms).catch(() => []);
  s.ok(got.length > 0, what);
  return got[0]?.d as Json;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy (a background job's result), or gives up. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  ms = 15000,
): Promise<T | undefined> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = await probe();
    if (value) return value;
    await sleep(100);
  }
  return undefined;
}

/**
 * A POST of a raw `body` to `path` under /api/v1 as `who` (none: anonymous), without the JSON
 * encoding `call` does: forms, and what a checker sends to see how odd bodies are answered.
 */
export function postRaw(
  path: string,
  who: Caller | null,
  body?: string | FormData,
  contentType?: string,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = `Bearer ${who.token}`;
  if (contentType) headers['content-type'] = contentType;
  return fetch(`${app.api}${path}`, { method: 'POST', headers, body });
}

/** A multipart POST of `form` to `path` under /api/v1 as `who`, as a browser's FormData sends it. */
export async function postForm(
  who: Caller,
  path: string,
  form: FormData,
): Promise<{ status: number; body: Json }> {
  const res = await postRaw(path, who, form);
  // A refusal need not be JSON; its status is the answer then.
  return { status: res.status, body: (await res.json().catch(() => null)) as Json };
}

let scanRegistered = false;
/** How many answers the scan saw, once it ran. */
let scanned: number | null = null;

/**
 * The scan of everything this file saw, as its last test: data-types.txt and API.md's conventions
 * applied to every object received (ids and permission bitfields as decimal strings, `*_at` as
 * integer unix seconds or null, `created_at` equal to the time in the object's own snowflake).
 * Each file calls it after its last describe; `minAnswers` is a floor on what the file's tests
 * send, so a scan of nothing does not pass unnoticed.
 *
 * PLEXICHAT_SWEEP_DUMP=<dir>: everything each file saw, to read a deviation's context, as
 * `<dir>/<file>.json`.
 */
export function formatsEverywhere(minAnswers: number): void {
  scanRegistered = true;
  describe('formats everywhere (every answer and gateway frame above)', () => {
    it('IDs and bitfields are decimal strings, timestamps integer seconds agreeing with the id', () => {
      const s = new Sweep();
      scanned = seen.length;
      const reported = new Set<string>();
      const flag = (what: string, path: string, problem: string) => {
        // One line per shape of problem, not per occurrence.
        const key = `${path.replace(/\[\d+\]/g, '[]')}: ${problem}`;
        if (reported.has(key)) return;
        reported.add(key);
        s.problems.push(`${what} ${key}`);
      };
      // The OpenAPI document describes these fields; it is not one of them.
      for (const { what, body } of seen.filter((x) => !x.what.startsWith('GET /openapi.json')))
        scanFormats(flag, what.replace(/\d{6,}/g, '{id}'), body, '$');
      for (const client of clients)
        for (const f of client.frames) scanFormats(flag, `gateway ${f.t}`, f.d, '$');
      s.ok(
        seen.length >= minAnswers,
        `only ${seen.length} answers scanned (at least ${minAnswers} expected)`,
      );
      const dump = process.env.PLEXICHAT_SWEEP_DUMP;
      if (dump) {
        mkdirSync(dump, { recursive: true });
        const file = path.basename(expect.getState().testPath ?? 'sweep', '.test.ts');
        writeFileSync(
          path.join(dump, `${file}.json`),
          JSON.stringify({ answers: seen, frames: clients.map((c) => c.frames) }, null, 1),
        );
      }
      s.done();
    });
  });
}

// A file that forgets the scan, or sends more after it, would lose coverage without a word.
afterAll(() => {
  if (!scanRegistered)
    throw new Error('this file of the contract sweep never called formatsEverywhere() after its tests');
  if (scanned !== null && seen.length > scanned)
    throw new Error(
      `${seen.length - scanned} answers came after the format scan: call formatsEverywhere() last`,
    );
});
