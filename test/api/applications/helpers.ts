import { api, type ApiResponse } from '../../helpers/accounts.js';
import type { TestApp } from '../../helpers/app.js';
import type { Person } from '../servers/membership-helpers.js';

/** An application made through the API, with its bot's token. */
export interface TestBot {
  appId: string;
  botId: string;
  username: string;
  token: string;
}

/** POST /applications as `owner`; fails the test on anything but 201. */
export async function makeApplication(app: TestApp, owner: Person, name = 'Helper Bot'): Promise<TestBot> {
  const res = await api(app, 'POST', '/applications', { token: owner.token, body: { name } });
  if (res.status !== 201) throw new Error(`create application: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    appId: res.body.application.id as string,
    botId: res.body.bot.id as string,
    username: res.body.bot.username as string,
    token: res.body.token as string,
  };
}

/** A request with `Authorization: Bot <token>`. */
export function asBot(
  app: TestApp,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  return api(app, method, path, { headers: { authorization: `Bot ${token}` }, body });
}

/** PATCH /applications/{id} as its owner; fails the test on anything but 200. */
export async function setIntents(
  app: TestApp,
  owner: Person,
  appId: string,
  intents: string[],
): Promise<void> {
  const res = await api(app, 'PATCH', `/applications/${appId}`, { token: owner.token, body: { intents } });
  if (res.status !== 200) throw new Error(`set intents: ${res.status} ${JSON.stringify(res.body)}`);
}

/** POST /servers/{id}/bots as `who`. */
export function addBot(
  app: TestApp,
  who: Person,
  serverId: string,
  appId: string,
  permissions?: string,
): Promise<ApiResponse> {
  return api(app, 'POST', `/servers/${serverId}/bots`, {
    token: who.token,
    body: { application_id: appId, ...(permissions === undefined ? {} : { permissions }) },
  });
}
