import { api } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { as, makeWorld, member, person } from '../messages/pipeline-helpers.js';
import { asBot, botInWorld, makeApplication, registerCommands, type TestBot } from './interaction-helpers.js';

const app = useTestApp({ gateway: false });

const echo = {
  name: 'echo',
  description: 'Says it back',
  options: [{ type: 'string', name: 'text', description: 'What to say', required: true, max_length: 200 }],
};
const ping = { name: 'ping', description: 'Pong' };

const put = (bot: TestBot, body: unknown, serverId?: string) =>
  as(
    app,
    bot.owner,
    'PUT',
    `/applications/${bot.appId}/commands${serverId ? `?server_id=${serverId}` : ''}`,
    body,
  );

describe('registering commands', () => {
  it('takes Discord’s numbers for option types (and its command type 1), answered by name', async () => {
    const bot = await makeApplication(app, await person(app));
    const res = await put(bot, [
      {
        type: 1,
        name: 'roll',
        description: 'Rolls dice',
        options: [
          { type: 4, name: 'sides', description: 'Sides', min_value: 2 },
          { type: 3, name: 'label', description: 'Label', choices: [{ name: 'A', value: 'a' }] },
          { type: 5, name: 'loud', description: 'Loud' },
          { type: 6, name: 'who', description: 'Who' },
          { type: 7, name: 'where', description: 'Where' },
          { type: 8, name: 'role', description: 'Role' },
          { type: 10, name: 'bias', description: 'Bias' },
        ],
      },
    ]);
    expect(res.status).toBe(200);
    expect(res.body[0].options.map((o: { type: string }) => o.type)).toEqual([
      'integer',
      'string',
      'boolean',
      'user',
      'channel',
      'role',
      'number',
    ]);
    const bad = await put(bot, [
      { name: 'x', description: 'x', options: [{ type: 9, name: 'y', description: 'y' }] },
    ]);
    expect([bad.status, Object.keys(bad.body.errors)]).toEqual([400, ['0.options.0.type']]);
    const context = await put(bot, [{ type: 2, name: 'x', description: 'x' }]);
    expect([context.status, Object.keys(context.body.errors)]).toEqual([400, ['0.type']]);
  });

  it('overwrites the global list: same names keep their ids, missing ones go, the list reads back by name', async () => {
    const bot = await makeApplication(app, await person(app));
    const first = await put(bot, [ping, echo]);
    expect(first.status).toBe(200);
    expect(first.body).toEqual([
      {
        id: expect.any(String),
        application_id: bot.appId,
        server_id: null,
        name: 'ping',
        description: 'Pong',
        options: [],
        created_at: expect.any(Number),
        updated_at: expect.any(Number),
      },
      expect.objectContaining({
        name: 'echo',
        options: [
          { type: 'string', name: 'text', description: 'What to say', required: true, max_length: 200 },
        ],
      }),
    ]);
    const echoId = first.body[1].id as string;

    const second = await put(bot, [
      { ...echo, description: 'Repeats you' },
      {
        name: 'roll',
        description: 'Rolls dice',
        options: [
          { type: 'integer', name: 'sides', description: 'Sides', min_value: 2, max_value: 100 },
          {
            type: 'string',
            name: 'color',
            description: 'Dice color',
            choices: [
              { name: 'Red', value: 'red' },
              { name: 'Blue', value: 'blue' },
            ],
          },
        ],
      },
    ]);
    expect(second.status).toBe(200);
    expect(second.body.map((c: { name: string }) => c.name)).toEqual(['echo', 'roll']);
    expect(second.body[0]).toMatchObject({ id: echoId, description: 'Repeats you' });
    // Defaults are filled in: every option says whether it is required.
    expect(second.body[1].options[0]).toEqual({
      type: 'integer',
      name: 'sides',
      description: 'Sides',
      required: false,
      min_value: 2,
      max_value: 100,
    });

    const listed = await as(app, bot.owner, 'GET', `/applications/${bot.appId}/commands`);
    expect(listed.status).toBe(200);
    expect(listed.body.map((c: { name: string }) => c.name)).toEqual(['echo', 'roll']);
    expect(await app.rt.models.ApplicationCommand.count({ where: { application_id: bot.appId } })).toBe(2);

    expect((await put(bot, [])).body).toEqual([]);
    expect((await as(app, bot.owner, 'GET', `/applications/${bot.appId}/commands`)).body).toEqual([]);
  });

  it('names every bad field of a definition by its path', async () => {
    const bot = await makeApplication(app, await person(app));
    const opt = (extra: Record<string, unknown>) => [
      { name: 'cmd', description: 'x', options: [{ name: 'o', description: 'o', ...extra }] },
    ];
    const cases: [unknown, string][] = [
      [{ not: 'an array' }, 'body'],
      [[{ name: 'Upper', description: 'x' }], '0.name'],
      [[{ name: 'has space', description: 'x' }], '0.name'],
      [[{ name: 'a'.repeat(33), description: 'x' }], '0.name'],
      [[{ name: 'ok', description: 'd'.repeat(101) }], '0.description'],
      [[{ name: 'ok' }], '0.description'],
      [opt({ type: 'float' }), '0.options.0.type'],
      [opt({ type: 'string', name: 'Bad' }), '0.options.0.name'],
      [opt({ type: 'boolean', choices: [{ name: 'yes', value: 'y' }] }), '0.options.0.choices'],
      [opt({ type: 'integer', choices: [{ name: 'one', value: 'one' }] }), '0.options.0.choices.0.value'],
      [
        opt({
          type: 'string',
          choices: Array.from({ length: 26 }, (_, i) => ({ name: `c${i}`, value: `c${i}` })),
        }),
        '0.options.0.choices',
      ],
      [opt({ type: 'string', min_value: 1 }), '0.options.0.min_value'],
      [opt({ type: 'integer', min_length: 1 }), '0.options.0.min_length'],
      [opt({ type: 'user', max_value: 3 }), '0.options.0.max_value'],
      [opt({ type: 'number', min_value: 5, max_value: 1 }), '0.options.0.max_value'],
      [opt({ type: 'string', min_length: 9, max_length: 2 }), '0.options.0.max_length'],
      [
        [
          {
            name: 'cmd',
            description: 'x',
            options: [
              { type: 'string', name: 'a', description: 'a' },
              { type: 'string', name: 'b', description: 'b', required: true },
            ],
          },
        ],
        '0.options.1.required',
      ],
      [
        [
          {
            name: 'cmd',
            description: 'x',
            options: [
              { type: 'string', name: 'a', description: 'a' },
              { type: 'integer', name: 'a', description: 'again' },
            ],
          },
        ],
        '0.options.1.name',
      ],
      [[ping, echo, { ...ping, description: 'again' }], '2.name'],
      [Array.from({ length: 101 }, (_, i) => ({ name: `c${i}`, description: 'x' })), 'body'],
      [
        [
          {
            name: 'cmd',
            description: 'x',
            options: Array.from({ length: 26 }, (_, i) => ({
              type: 'boolean',
              name: `o${i}`,
              description: 'x',
            })),
          },
        ],
        '0.options',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await put(bot, body);
      expect([field, res.status, res.body.code]).toEqual([field, 400, 'validation_error']);
      expect([field, Object.keys(res.body.errors)]).toEqual([field, expect.arrayContaining([field])]);
    }
    // Nothing was stored by any of them.
    expect(await app.rt.models.ApplicationCommand.count({ where: { application_id: bot.appId } })).toBe(0);
  });

  it('only the owner (user token) and the application’s own bot (Bot token) manage its commands', async () => {
    const owner = await person(app);
    const bot = await makeApplication(app, owner);
    const other = await makeApplication(app, await person(app), 'Other');
    const stranger = await person(app);

    for (const [method, body] of [
      ['PUT', [ping]],
      ['GET', undefined],
    ] as const) {
      const byStranger = await as(app, stranger, method, `/applications/${bot.appId}/commands`, body);
      expect([method, byStranger.status, byStranger.body.code]).toEqual([method, 404, 'unknown_application']);
      const byOtherBot = await asBot(app, other, method, `/applications/${bot.appId}/commands`, body);
      expect([method, byOtherBot.status, byOtherBot.body.code]).toEqual([method, 404, 'unknown_application']);
      const noToken = await api(app, method, `/applications/${bot.appId}/commands`, { body });
      expect(noToken.status).toBe(401);
    }
    const unknown = await as(app, owner, 'GET', `/applications/${app.rt.snowflake.next()}/commands`);
    expect(unknown.body.code).toBe('unknown_application');

    const byBot = await asBot(app, bot, 'PUT', `/applications/${bot.appId}/commands`, [ping]);
    expect(byBot.status).toBe(200);
    expect(byBot.body[0]).toMatchObject({ name: 'ping', application_id: bot.appId });
    expect((await asBot(app, bot, 'GET', `/applications/${bot.appId}/commands`)).body).toHaveLength(1);
    expect((await as(app, owner, 'GET', `/applications/${bot.appId}/commands`)).body).toHaveLength(1);
  });

  it('server commands need the bot in that server and are listed apart from the global ones', async () => {
    const w = await makeWorld(app);
    const bot = await makeApplication(app, w.owner);
    const early = await put(bot, [echo], w.serverId);
    expect(early.status).toBe(400);
    expect(early.body.errors).toHaveProperty('server_id');

    const res = await as(app, w.owner, 'POST', `/servers/${w.serverId}/bots`, { application_id: bot.appId });
    expect([200, 201]).toContain(res.status);
    const local = await put(bot, [echo], w.serverId);
    expect(local.status).toBe(200);
    expect(local.body[0]).toMatchObject({ name: 'echo', server_id: w.serverId });
    await registerCommands(app, bot, [ping]);

    const scoped = await as(
      app,
      w.owner,
      'GET',
      `/applications/${bot.appId}/commands?server_id=${w.serverId}`,
    );
    expect(scoped.body.map((c: { name: string }) => c.name)).toEqual(['echo']);
    const global = await as(app, w.owner, 'GET', `/applications/${bot.appId}/commands`);
    expect(global.body.map((c: { name: string }) => c.name)).toEqual(['ping']);
    // The bot may register its own server commands too.
    expect(
      (await asBot(app, bot, 'PUT', `/applications/${bot.appId}/commands?server_id=${w.serverId}`, []))
        .status,
    ).toBe(200);
  });
});

describe('documentation', () => {
  it('the OpenAPI document has the routes, the bulk overwrite taking a JSON array', async () => {
    const doc = (await (await fetch(`${app.api}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
    };
    for (const path of [
      '/applications/{app_id}/commands',
      '/applications/{app_id}/interactions-secret',
      '/servers/{server_id}/commands',
      '/interactions',
      '/interactions/{interaction_id}/{token}/callback',
      '/interactions/{interaction_id}/{token}/followup',
      '/interactions/{interaction_id}/{token}/original',
    ]) {
      expect([path, path in doc.paths]).toEqual([path, true]);
    }
    const put = doc.paths['/applications/{app_id}/commands']?.put;
    expect(put?.requestBody?.content['application/json']?.schema).toMatchObject({ type: 'array' });
  });
});

describe('GET /servers/{server_id}/commands', () => {
  it('lists the commands of the bots in the server, a server command hiding its global namesake; members only', async () => {
    const w = await makeWorld(app);
    const a = await botInWorld(app, w, 'Alpha');
    const b = await botInWorld(app, w, 'Beta');
    const absent = await makeApplication(app, w.owner, 'Absent');
    await registerCommands(app, a, [ping, echo]);
    const [localEcho] = await registerCommands(app, a, [{ ...echo, description: 'Local echo' }], w.serverId);
    await registerCommands(app, b, [{ name: 'roll', description: 'Rolls' }, ping]);
    await registerCommands(app, absent, [{ name: 'ghost', description: 'Not here' }]);

    const someone = await member(app, w.serverId);
    const res = await as(app, someone, 'GET', `/servers/${w.serverId}/commands`);
    expect(res.status).toBe(200);
    const seen = res.body.map((c: { application_id: string; name: string; server_id: string | null }) => [
      c.application_id === a.appId ? 'a' : c.application_id === b.appId ? 'b' : 'other',
      c.name,
      c.server_id,
    ]);
    expect(seen).toEqual([
      ['a', 'echo', w.serverId],
      ['a', 'ping', null],
      ['b', 'ping', null],
      ['b', 'roll', null],
    ]);
    expect(res.body[0]).toMatchObject({ id: localEcho?.id, description: 'Local echo' });

    const outsider = await person(app);
    const hidden = await as(app, outsider, 'GET', `/servers/${w.serverId}/commands`);
    expect([hidden.status, hidden.body.code]).toEqual([404, 'unknown_server']);
  });
});
