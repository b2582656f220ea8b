/**
 * The contract sweep of incoming webhooks, bots and applications (Bot auth, slash commands,
 * interactions). See harness.ts for what the sweep is and how to run it against another instance.
 */

import { ownerAndMember, send } from './fixtures.js';
import { call, type Caller, connect, formatsEverywhere, sweep } from './harness.js';
import { checkMessage, idsOf, type Json, mapped } from './shapes.js';

describe('webhooks, bots, applications', () => {
  sweep('incoming webhooks: create, list, execute with and without wait', async (s) => {
    const { owner, m, general } = await ownerAndMember(s);
    const hook = await call('POST', `/channels/${general.id}/webhooks`, owner, { name: 'hook' });
    s.status(hook, 201, 'POST webhooks');
    s.snowflake(hook.body?.id, 'webhook.id');
    s.ok(typeof hook.body?.token === 'string' && typeof hook.body?.url === 'string', 'webhook {token, url}');
    s.ok(
      hook.body?.url?.includes(`/webhooks/${hook.body?.id}/${hook.body?.token}`),
      `webhook url ${hook.body?.url}`,
    );
    const list = await call('GET', `/channels/${general.id}/webhooks`, owner);
    s.eq(idsOf(list.body), [hook.body?.id], 'GET webhooks');
    s.error(
      await call('GET', `/channels/${general.id}/webhooks`, m),
      403,
      'GET webhooks without MANAGE_WEBHOOKS',
    );
    const path = `/webhooks/${hook.body.id}/${hook.body.token}`;
    const noWait = await call('POST', path, null, { content: 'from a hook' });
    s.status(noWait, 204, 'execute without wait');
    const wait = await call('POST', `${path}?wait=true`, null, { content: 'waited', username: 'Hooky' });
    s.ok(wait.status === 200, `execute ?wait=true: ${wait.status}`);
    checkMessage(s, wait.body, 'webhook message');
    s.eq(wait.body?.webhook_id, hook.body.id, 'webhook message webhook_id');
    const wrongToken = await call('POST', `/webhooks/${hook.body.id}/wrongtoken`, null, { content: 'x' });
    s.oneOf(wrongToken, [401, 404], 'execute with a wrong token');
    s.invalid(await call('POST', path, null, {}), 'execute with nothing', 'content');
    const deliveries = await call('GET', `/webhooks/${hook.body.id}/deliveries`, owner);
    s.status(deliveries, 200, 'GET webhook deliveries');
  });

  sweep('bots: application, Bot auth, slash command, interaction round trip', async (s) => {
    const { owner, m, server, general } = await ownerAndMember(s);
    const created = await call('POST', '/applications', owner, { name: 'sweepbot' });
    s.status(created, 201, 'POST /applications');
    const appId = (created.body?.application?.id ?? created.body?.id) as string;
    const botToken = (created.body?.token ?? created.body?.bot?.token) as string;
    const botUser = created.body?.bot ?? created.body?.bot_user ?? created.body?.user;
    s.ok(
      typeof botToken === 'string',
      `application answer has a bot token: ${JSON.stringify(created.body)?.slice(0, 300)}`,
    );
    s.ok(botUser?.id, 'application answer has the bot user');
    const listed = await call('GET', '/applications', owner);
    s.ok(
      (listed.body as Json[])?.some((a) => a.id === appId),
      'GET /applications',
    );
    const bot: Caller = { token: botToken, bot: true };
    const me = await call('GET', '/users/@me', bot);
    s.status(me, 200, 'GET /users/@me as Bot');
    s.eq(me.body?.id, botUser?.id, 'the bot is its user');
    s.error(await call('GET', '/users/@me', { token: botToken }), 401, 'a bot token under Bearer');
    s.error(
      await call('GET', '/users/@me', { token: owner.token, bot: true }),
      401,
      'a user token under Bot',
    );
    const added = await call('POST', `/servers/${server.id}/bots`, owner, { application_id: appId });
    s.status(added, 201, 'add the bot to a server');
    const botMsg = await send(bot, general.id, { content: 'beep' });
    s.ok(botMsg.status < 300, `bot sends: ${botMsg.status}`);
    s.eq(botMsg.body?.author_id, botUser?.id, 'bot message author');

    const cmds = await call('PUT', `/applications/${appId}/commands`, owner, [
      { name: 'ping', description: 'pong' },
    ]);
    s.status(cmds, 200, 'PUT commands');
    s.eq(
      mapped(cmds.body, (c) => c.name),
      ['ping'],
      'registered commands',
    );
    const scoped = await call('PUT', `/applications/${appId}/commands?server_id=${server.id}`, owner, [
      { name: 'local', description: 'here' },
    ]);
    s.status(scoped, 200, 'PUT commands ?server_id=');
    const gw = await connect(bot);
    if (s.problems.length) s.done();
    const invoke = call('POST', '/interactions', m, {
      command: 'ping',
      options: [],
      channel_id: general.id,
    });
    const [frame] = await gw.waitForFrames(1, (f) => f.t === 'INTERACTION_CREATE');
    const d = frame!.d as Json;
    s.ok(d.id && d.token, `INTERACTION_CREATE carries id and token: ${JSON.stringify(d).slice(0, 200)}`);
    const cb = await call('POST', `/interactions/${d.id}/${d.token}/callback`, null, {
      type: 'message',
      data: { content: 'pong' },
    });
    s.oneOf(cb, [204, 200], 'callback');
    const result = await invoke;
    s.status(result, 200, 'POST /interactions');
    s.eq(result.body?.message?.content, 'pong', 'the interaction answer');
  });
});

formatsEverywhere(10);
