import type http from 'node:http';
import type { InteractionObject } from '../../../shared/presenters/interaction.js';
import { api, type ApiResponse } from '../../helpers/accounts.js';
import type { TestApp } from '../../helpers/app.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { startLocalServer, type LocalServer } from '../../helpers/http-server.js';
import { as, makeWorld, type Person, type World } from '../messages/pipeline-helpers.js';

/** An application made through the API, with its bot's token. */
export interface TestBot {
  appId: string;
  botId: string;
  token: string;
  owner: Person;
}

/** Creates an application owned by `owner` (POST /applications). */
export async function makeApplication(app: TestApp, owner: Person, name = 'Helper'): Promise<TestBot> {
  const res = await as(app, owner, 'POST', '/applications', { name });
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`create application: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { appId: res.body.application.id, botId: res.body.bot.id, token: res.body.token, owner };
}

/** Adds the bot to the world's server as its owner (POST /servers/{id}/bots). */
export async function addBot(app: TestApp, w: World, bot: TestBot): Promise<void> {
  const res = await as(app, w.owner, 'POST', `/servers/${w.serverId}/bots`, { application_id: bot.appId });
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`add bot: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** An application owned by the world's owner, its bot in the world's server. */
export async function botInWorld(app: TestApp, w: World, name?: string): Promise<TestBot> {
  const bot = await makeApplication(app, w.owner, name);
  await addBot(app, w, bot);
  return bot;
}

/** A request with the bot's token (`Authorization: Bot <token>`). */
export function asBot(
  app: TestApp,
  bot: TestBot,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  return api(app, method, path, { body, headers: { authorization: `Bot ${bot.token}` } });
}

/** Registers commands (global, or the server's with `serverId`) as the application's owner; fails on anything but 200. */
export async function registerCommands(
  app: TestApp,
  bot: TestBot,
  commands: unknown[],
  serverId?: string,
): Promise<{ id: string; name: string }[]> {
  const query = serverId ? `?server_id=${serverId}` : '';
  const res = await as(app, bot.owner, 'PUT', `/applications/${bot.appId}/commands${query}`, commands);
  if (res.status !== 200) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string }[];
}

/** The bot's gateway connection, with no intents at all: INTERACTION_CREATE needs none. */
export function connectBot(app: TestApp, bot: TestBot): Promise<GatewayClient> {
  return connectGateway(app.origin, { token: bot.token, intents: 0 });
}

/** Resolves with the next INTERACTION_CREATE the bot receives for `command` (beyond those already seen). */
export async function nextInteraction(gw: GatewayClient, command: string): Promise<InteractionObject> {
  const isIt = (f: { t: string; d: unknown }) =>
    f.t === 'INTERACTION_CREATE' && (f.d as InteractionObject).data.name === command;
  const seen = gw.frames.filter(isIt).length;
  const frames = await gw.waitForFrames(seen + 1, isIt, 15000);
  return frames[seen]?.d as InteractionObject;
}

/** The user invokes a command. */
export function invoke(
  app: TestApp,
  who: Person,
  body: {
    command: string;
    channel_id: string;
    options?: unknown[] | Record<string, unknown>;
    application_id?: string;
  },
): Promise<ApiResponse> {
  return as(app, who, 'POST', '/interactions', body);
}

/** The application answers (no auth header: the token is in the path). */
export function callback(
  app: TestApp,
  interaction: { id: string; token: string },
  body: unknown,
): Promise<ApiResponse> {
  return api(app, 'POST', `/interactions/${interaction.id}/${interaction.token}/callback`, { body });
}

/** A follow-up message. */
export function followup(
  app: TestApp,
  interaction: { id: string; token: string },
  body: unknown,
): Promise<ApiResponse> {
  return api(app, 'POST', `/interactions/${interaction.id}/${interaction.token}/followup`, { body });
}

/** Edits the original response. */
export function editOriginal(
  app: TestApp,
  interaction: { id: string; token: string },
  body: unknown,
): Promise<ApiResponse> {
  return api(app, 'PATCH', `/interactions/${interaction.id}/${interaction.token}/original`, { body });
}

/** What an interactions endpoint got: the raw body, its headers, and the interaction in it. */
export interface Received {
  body: string;
  headers: http.IncomingHttpHeaders;
  interaction: InteractionObject;
}

/** An application's interactions endpoint on 127.0.0.1, answering as `answer` says (204 by default). */
export interface InteractionsReceiver {
  origin: string;
  /** Every POST, in order. */
  received: Received[];
  answer: (got: Received, res: http.ServerResponse) => void;
  close(): Promise<void>;
}

/** Starts an interactions endpoint (a LocalServer that parses what it gets). */
export async function startInteractionsReceiver(): Promise<InteractionsReceiver> {
  let server: LocalServer | null = null;
  const receiver: InteractionsReceiver = {
    origin: '',
    received: [],
    answer: (_got, res) => {
      res.writeHead(204).end();
    },
    close: () => server?.close() ?? Promise.resolve(),
  };
  server = await startLocalServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const got = { body, headers: req.headers, interaction: JSON.parse(body) as InteractionObject };
      receiver.received.push(got);
      receiver.answer(got, res);
    });
  });
  receiver.origin = server.origin;
  return receiver;
}

/** Answers with a JSON body. */
export function answerJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * A server with a bot whose application receives interactions over HTTP at `receiver`, with the
 * commands `ping` and `slow`; returns its signing secret too.
 */
export async function httpBot(
  app: TestApp,
  receiver: Pick<InteractionsReceiver, 'origin'>,
): Promise<{ w: World; bot: TestBot; secret: string }> {
  const w = await makeWorld(app);
  const bot = await botInWorld(app, w);
  await registerCommands(app, bot, [
    { name: 'ping', description: 'Pong' },
    { name: 'slow', description: 'Takes its time' },
  ]);
  const patched = await as(app, w.owner, 'PATCH', `/applications/${bot.appId}`, {
    interactions_url: `${receiver.origin}/interactions`,
  });
  if (patched.status !== 200)
    throw new Error(`interactions_url: ${patched.status} ${JSON.stringify(patched.body)}`);
  const secret = await as(app, w.owner, 'GET', `/applications/${bot.appId}/interactions-secret`);
  if (secret.status !== 200) throw new Error(`secret: ${secret.status} ${JSON.stringify(secret.body)}`);
  return { w, bot, secret: secret.body.interactions_secret as string };
}
