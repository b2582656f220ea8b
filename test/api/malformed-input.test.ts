import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { api, randomIp, registerUser, type ApiResponse, type TestUser } from '../helpers/accounts.js';
import { useTestApp } from '../helpers/app.js';
import { connectGateway } from '../helpers/gateway-client.js';
import { sendForm, sendRawForm } from '../helpers/media.js';
import { makeServer } from './servers/helpers.js';

/** Just above a signed bigint's range: what used to reach Postgres and come back as a 500. */
const TOO_BIG = '9999999999999999999';
const MAX_ID = '9223372036854775807';

let user: TestUser;
let serverId: string;
let channelId: string;
const app = useTestApp({ workers: true, gateway: true });
beforeAll(async () => {
  user = await registerUser(app);
  ({ serverId, generalId: channelId } = await makeServer(app, user));
});

/** A request with a raw body and headers; the JSON answer parsed. */
async function raw(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<ApiResponse> {
  const res = await fetch(`${app.api}${path}`, { method, headers: init.headers, body: init.body });
  const text = await res.text();
  let body: ApiResponse['body'] = text;
  try {
    body = JSON.parse(text);
  } catch {
    // left as text: the `code` assertions then fail with it in view
  }
  return { status: res.status, headers: res.headers, body };
}

/** A client error in the error body of API.md. */
function expectClientError(res: ApiResponse, status: number, code: string, field?: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.body.message).toEqual(expect.any(String));
  if (field) expect(res.body.errors).toHaveProperty([field]);
}

describe('IDs out of range are a 400 naming the field, never a 500', () => {
  it('in a path, authenticated', async () => {
    for (const path of [`/channels/${TOO_BIG}`, `/servers/${TOO_BIG}`, `/users/${TOO_BIG}`]) {
      const key =
        path.split('/')[1] === 'users'
          ? 'user_id'
          : path.startsWith('/channels')
            ? 'channel_id'
            : 'server_id';
      expectClientError(await api(app, 'GET', path, { token: user.token }), 400, 'validation_error', key);
    }
    // The largest id is well-formed: it is simply unknown.
    expect((await api(app, 'GET', `/channels/${MAX_ID}`, { token: user.token })).status).toBe(404);
  });

  it('in a member path that also takes @me', async () => {
    const res = await api(app, 'GET', `/servers/${serverId}/members/${TOO_BIG}`, { token: user.token });
    expectClientError(res, 400, 'validation_error', 'user_id');
    expect((await api(app, 'GET', `/servers/${serverId}/members/@me`, { token: user.token })).status).toBe(
      200,
    );
  });

  it('in a query (before, author_id)', async () => {
    expectClientError(
      await api(app, 'GET', `/channels/${channelId}/messages?before=${TOO_BIG}`, { token: user.token }),
      400,
      'validation_error',
      'before',
    );
    expectClientError(
      await api(app, 'GET', `/servers/${serverId}/messages/search?author_id=${TOO_BIG}`, {
        token: user.token,
      }),
      400,
      'validation_error',
      'author_id',
    );
  });

  it('in a body (reply_to)', async () => {
    const res = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: user.token,
      body: { content: 'hi', reply_to: TOO_BIG },
    });
    expectClientError(res, 400, 'validation_error', 'reply_to');
  });

  it('on unauthenticated routes: webhook execute and OAuth2', async () => {
    expectClientError(
      await api(app, 'POST', `/webhooks/${TOO_BIG}/not-a-real-token`, { body: { content: 'x' } }),
      400,
      'validation_error',
      'webhook_id',
    );
    const authorize = await api(
      app,
      'GET',
      `/oauth2/authorize?client_id=${TOO_BIG}&response_type=code&scope=identify`,
      {
        token: user.token,
      },
    );
    expectClientError(authorize, 400, 'validation_error', 'client_id');
    // The token endpoint speaks RFC 6749: an unknown client, not a crash.
    const token = await raw('POST', '/oauth2/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=authorization_code&code=x&redirect_uri=https%3A%2F%2Fa.example&client_id=${TOO_BIG}`,
    });
    expect(token.status).toBeGreaterThanOrEqual(400);
    expect(token.status).toBeLessThan(500);
  });

  it('in gateway commands', async () => {
    const gw = await connectGateway(app.origin, { token: user.token });
    try {
      const ack = await gw.command('typing_start', { channel_id: TOO_BIG });
      expect(ack).toMatchObject({
        ok: false,
        code: 'validation_error',
        errors: { channel_id: expect.any(String) },
      });
      const members = await gw.command('request_members', { server_id: TOO_BIG });
      expect(members).toMatchObject({
        ok: false,
        code: 'validation_error',
        errors: { server_id: expect.any(String) },
      });
    } finally {
      gw.close();
    }
  });
});

describe('the HTTP stack’s client errors keep their status', () => {
  it('bad percent-encoding in a path is a 400 naming the parameter, with or without a token', async () => {
    expectClientError(await raw('GET', '/channels/%ZZ'), 400, 'validation_error', 'channel_id');
    expectClientError(
      await raw('GET', '/channels/%ZZ', { headers: { authorization: `Bearer ${user.token}` } }),
      400,
      'validation_error',
      'channel_id',
    );
  });

  it('a broken gzip or deflate body is a 400', async () => {
    for (const encoding of ['gzip', 'deflate']) {
      const res = await raw('POST', '/servers', {
        headers: {
          'content-type': 'application/json',
          'content-encoding': encoding,
          authorization: `Bearer ${user.token}`,
        },
        body: Buffer.from('this is not compressed at all'),
      });
      expectClientError(res, 400, 'malformed_content_encoding');
    }
    // A well-formed gzip body still works.
    const ok = await raw('POST', '/servers', {
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        authorization: `Bearer ${user.token}`,
      },
      body: zlib.gzipSync(JSON.stringify({ name: 'Zipped' })),
    });
    expect(ok.status).toBe(201);
  });

  it('a JSON body that is not UTF-8 is malformed, not stored with U+FFFD in its place', async () => {
    const send = (bytes: Buffer) =>
      raw('POST', '/servers', {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
        body: Buffer.concat([Buffer.from('{"name":"bad '), bytes, Buffer.from('"}')]),
      });
    // A surrogate's UTF-8-like encoding, a lone continuation byte, a truncated sequence.
    for (const bytes of [[0xed, 0xa0, 0x80], [0x80], [0xe2, 0x82]]) {
      expectClientError(await send(Buffer.from(bytes)), 400, 'malformed_json');
    }
    const ok = await send(Buffer.from('😀', 'utf8'));
    expect([ok.status, ok.body.name]).toEqual([201, 'bad 😀']);
  });

  it('a media key with a segment longer than the filesystem allows is unknown, not an error', async () => {
    expectClientError(await raw('GET', `/media/attachments/${'a'.repeat(300)}`), 404, 'unknown_media');
  });

  it('an unknown content encoding is a 415', async () => {
    const res = await raw('POST', '/servers', {
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'br-nope',
        authorization: `Bearer ${user.token}`,
      },
      body: '{}',
    });
    expectClientError(res, 415, 'unsupported_media_type');
  });

  it('too many urlencoded parameters is a 413', async () => {
    const form = Array.from({ length: 1500 }, (_, i) => `p${i}=x`).join('&');
    const res = await raw('POST', '/oauth2/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(res.status).toBe(413);
  });

  it('too many multipart fields is a 413, not a silently shortened form', async () => {
    const form = new FormData();
    for (let i = 0; i < 40; i++) form.append(`field${i}`, 'x');
    form.append('file', new Blob([Buffer.from('hello')], { type: 'text/plain' }), 'a.txt');
    const res = await fetch(`${app.api}/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
      body: form,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('too_many_parameters');
  });
});

describe('bodies no schema can accept', () => {
  it('deep nesting is a 400 naming the field', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 1000; i++) deep = [deep];
    const res = await api(app, 'POST', '/servers', {
      token: user.token,
      body: { name: 'Deep', description: deep },
    });
    expectClientError(res, 400, 'validation_error', 'description');
    const text = `{"name":"Deep","description":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    const rawRes = await raw('POST', '/servers', {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: text,
    });
    expect(rawRes.status).toBe(400);
  });

  it('a NUL character in a string is a 400 naming the field, not a database error', async () => {
    const server = await api(app, 'POST', '/servers', { token: user.token, body: { name: 'a\u0000b' } });
    expectClientError(server, 400, 'validation_error', 'name');
    const message = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: user.token,
      body: { content: 'hello\u0000world' },
    });
    expectClientError(message, 400, 'validation_error', 'content');
    const query = await api(app, 'GET', `/servers/${serverId}/messages/search?content=a%00b`, {
      token: user.token,
    });
    expectClientError(query, 400, 'validation_error', 'content');
  });
});

/**
 * A lone UTF-16 surrogate travels in JSON as an escape (`"\\ud800"`, which JSON.stringify writes
 * for one) but has no UTF-8 form: stored, it would come back as U+FFFD. Refused instead, naming
 * the field; surrogate pairs (astral characters) are ordinary text.
 */
describe('ill-formed Unicode (lone surrogates) is refused naming the field; pairs are kept', () => {
  const LONE = ['\ud800', '\udfff', '\ude00\ud83d']; // high alone, low alone, a pair reversed
  const EMOJI = 'ok 😀 𝄞';

  const register = (email: string) =>
    api(app, 'POST', '/auth/register', {
      headers: { 'x-forwarded-for': randomIp() },
      body: { username: `u_${randomBytes(6).toString('hex')}`, password: 'correct horse', email },
    });
  const send = (body: Record<string, unknown>) =>
    api(app, 'POST', `/channels/${channelId}/messages`, { token: user.token, body });

  it('in a registration email', async () => {
    for (const lone of LONE) {
      expectClientError(await register(`${lone}@example.com`), 400, 'validation_error', 'email');
    }
    const email = `${EMOJI.replace(/ /g, '')}${randomBytes(4).toString('hex')}@example.com`;
    const ok = await register(email);
    expect(ok.status).toBe(201);
    const me = await api(app, 'GET', '/users/@me', { token: ok.body.token });
    expect(me.body.email).toBe(email);
  });

  it('in message content, an embed field, and a key; in JSON and in multipart payload_json', async () => {
    for (const lone of LONE) {
      expectClientError(await send({ content: `hi ${lone}` }), 400, 'validation_error', 'content');
    }
    const nested = await send({
      embeds: [
        { title: 'fine' },
        {
          title: 'fine',
          fields: [
            { name: 'a', value: 'b' },
            { name: 'n', value: `v\ud800` },
          ],
        },
      ],
    });
    expectClientError(nested, 400, 'validation_error', 'embeds.1.fields.1.value');
    expect(Object.keys(nested.body.errors)).toEqual(['embeds.1.fields.1.value']);
    // A key is input too: the object holding it is named (the key itself is not text to quote).
    const key = await send({ content: 'x', embeds: [{ title: 't', ['\udc00']: 'x' }] });
    expectClientError(key, 400, 'validation_error', 'embeds.0');
    expect(Object.keys(key.body.errors)).toEqual(['embeds.0']);
    const form = await sendForm(app, 'POST', `/channels/${channelId}/messages`, user, [
      { field: 'payload_json', value: JSON.stringify({ content: 'x', embeds: [{ title: '\ud800' }] }) },
    ]);
    expectClientError(form, 400, 'validation_error', 'embeds.0.title');

    const sent = await send({
      content: EMOJI,
      embeds: [{ title: EMOJI, fields: [{ name: EMOJI, value: EMOJI }] }],
    });
    expect(sent.status).toBe(200);
    const viaForm = await sendForm(app, 'POST', `/channels/${channelId}/messages`, user, [
      { field: 'payload_json', value: JSON.stringify({ content: EMOJI }) },
    ]);
    expect(viaForm.status).toBe(200);
    // Nothing refused was stored (as U+FFFD); what was accepted comes back as sent.
    const history = await api(app, 'GET', `/channels/${channelId}/messages?limit=100`, { token: user.token });
    expect(JSON.stringify(history.body)).not.toContain('\ufffd');
    expect(history.body.slice(0, 2).map((m: { content: string }) => m.content)).toEqual([EMOJI, EMOJI]);
    expect(history.body[1].embeds[0]).toMatchObject({
      title: EMOJI,
      fields: [{ name: EMOJI, value: EMOJI }],
    });
  });

  it('in a gateway command: the ack is the validation error naming the field', async () => {
    const gw = await connectGateway(app.origin, { token: user.token });
    try {
      for (const lone of LONE) {
        const ack = await gw.command('presence_update', {
          status: 'online',
          activity: { type: 'playing', name: `chess ${lone}` },
        });
        expect(ack).toMatchObject({
          ok: false,
          code: 'validation_error',
          errors: { 'activity.name': expect.any(String) },
        });
      }
      const key = await gw.command('presence_update', { status: 'online', ['\ud83d']: 1 });
      expect(key).toMatchObject({
        ok: false,
        code: 'validation_error',
        errors: { payload: expect.any(String) },
      });
      const ok = await gw.command('presence_update', {
        status: 'online',
        activity: { type: 'playing', name: EMOJI },
      });
      expect(ok).toMatchObject({ ok: true, presence: { activity: { type: 'playing', name: EMOJI } } });
    } finally {
      gw.close();
    }
  });
});

/**
 * Percent-escapes (in a query, a path) and multipart text whose bytes are not UTF-8 would reach a
 * handler as U+FFFD (Node's querystring, busboy) or as the escape itself: refused, naming the
 * field. A `%` that starts no escape is text, as URL parsers read it. Valid non-ASCII text (é, CJK,
 * emoji, astral and combining) goes through every one of these unchanged.
 */
describe('escapes and bytes that are not UTF-8 are refused naming the field; other text is kept', () => {
  // Bytes no UTF-8 text has, a cut sequence, a surrogate's UTF-8-like form, an overlong `/`.
  const BAD = ['%FF%FE', '%C3', '%ED%A0%80', '%C0%AF'];
  const BAD_BYTES = [[0xff, 0xfe], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]].map((b) => Buffer.from(b));
  const TEXT = 'café 漢字 😀 👍🏽';
  const search = (query: string) =>
    api(app, 'GET', `/servers/${serverId}/messages/search?${query}`, { token: user.token });
  const sendText = async (content: string): Promise<string> => {
    const sent = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: user.token,
      body: { content },
    });
    expect(sent.status).toBe(200);
    return sent.body.id as string;
  };
  const file = { name: 'files', filename: 'a.txt', type: 'text/plain', data: Buffer.from('hello') };

  it('in a query: the key is named (a bad key: `query`); a stray % is text', async () => {
    for (const bad of BAD) {
      expectClientError(await search(`content=ok${bad}`), 400, 'validation_error', 'content');
    }
    const both = await search('content=%FF&author_id=%C3');
    expectClientError(both, 400, 'validation_error');
    expect(Object.keys(both.body.errors).sort()).toEqual(['author_id', 'content']);
    expectClientError(await search('%FF=x'), 400, 'validation_error', 'query');
    // Node's querystring and WHATWG's URL parser keep these as the text they are.
    for (const text of ['100%', '%zz', '%uD800', '%E2%82%AC%']) {
      expect((await search(`content=${text}`)).status).toBe(200);
    }
  });

  it('in a query, valid non-ASCII text finds what it should', async () => {
    const word = `probe${randomBytes(4).toString('hex')}`;
    const id = await sendText(`${word} ${TEXT}`);
    for (const words of [`${word} café`, `${word} 漢字`, `${word} café 漢字`]) {
      const found = await search(`content=${encodeURIComponent(words)}`);
      expect({
        words,
        status: found.status,
        ids: found.body.messages?.map((m: { id: string }) => m.id),
      }).toEqual({
        words,
        status: 200,
        ids: [id],
      });
    }
  });

  it('in a path: the parameter is named, before authentication, trailing slash or not', async () => {
    for (const bad of BAD) {
      expectClientError(await raw('GET', `/users/${bad}`), 400, 'validation_error', 'user_id');
      expectClientError(
        await api(app, 'GET', `/users/x${bad}/`, { token: user.token }),
        400,
        'validation_error',
        'user_id',
      );
    }
    // The route of the method names it (this path is a channel's messages for GET and POST).
    const post = await api(app, 'POST', `/channels/%ED%A0%80/messages`, {
      token: user.token,
      body: { content: 'x' },
    });
    expectClientError(post, 400, 'validation_error', 'channel_id');
    const messageId = await sendText('react');
    const reactions = `/channels/${channelId}/messages/${messageId}/reactions`;
    // An emoji cut in the middle of its UTF-8 bytes.
    const cut = await api(app, 'PUT', `${reactions}/%F0%9F%98/@me`, { token: user.token });
    expectClientError(cut, 400, 'validation_error', 'emoji');
    // A rest parameter: the media key.
    expectClientError(await raw('GET', '/media/attachments/1/%FF.png'), 400, 'validation_error', 'key');
    // Paths no route matches stay unknown (the static file mounts do not decode them either).
    for (const path of ['/api/v1/nothing/%C3', '/docs/assets/%C3', '/oauth/assets/%FF']) {
      const res = await fetch(`${app.origin}${path}`);
      expect({ path, status: res.status, code: ((await res.json()) as { code: string }).code }).toEqual({
        path,
        status: 404,
        code: 'unknown_route',
      });
    }
  });

  it('in a path, emoji (astral, with modifiers, a CJK ideograph one) are kept as sent', async () => {
    const messageId = await sendText('react to me');
    const reactions = `/channels/${channelId}/messages/${messageId}/reactions`;
    const emoji = ['😀', '👍🏽', '🈯', '🇫🇷'];
    for (const e of emoji) {
      expect(
        (await api(app, 'PUT', `${reactions}/${encodeURIComponent(e)}/@me`, { token: user.token })).status,
      ).toBe(204);
    }
    const message = await api(app, 'GET', `/channels/${channelId}/messages/${messageId}`, {
      token: user.token,
    });
    expect(message.body.reactions.map((r: { emoji: string }) => r.emoji).sort()).toEqual([...emoji].sort());
  });

  it('in multipart text fields: content, payload_json, any other field', async () => {
    const messages = `/channels/${channelId}/messages`;
    for (const bytes of BAD_BYTES) {
      const content = await sendRawForm(app, 'POST', messages, user, [
        { name: 'content', data: Buffer.concat([Buffer.from('hi '), bytes]) },
        file,
      ]);
      expectClientError(content, 400, 'validation_error', 'content');
      const payload = await sendRawForm(app, 'POST', messages, user, [
        {
          name: 'payload_json',
          data: Buffer.concat([Buffer.from('{"content":"hi '), bytes, Buffer.from('"}')]),
        },
        file,
      ]);
      expectClientError(payload, 400, 'validation_error', 'payload_json');
      // The same with a part that declares its charset, and with no file at all.
      const declared = await sendRawForm(app, 'POST', messages, user, [
        { name: 'content', type: 'text/plain; charset=utf-8', data: bytes },
      ]);
      expectClientError(declared, 400, 'validation_error', 'content');
    }
    const upload = await sendRawForm(app, 'POST', '/attachments', user, [
      file,
      { name: 'description', data: BAD_BYTES[0]! },
    ]);
    expectClientError(upload, 400, 'validation_error', 'description');
    // U+FFFD itself cannot be told from what busboy puts for bad bytes: escaped in payload_json it can.
    const sent = await sendRawForm(app, 'POST', messages, user, [
      { name: 'content', data: Buffer.from('a \ufffd', 'utf8') },
    ]);
    expectClientError(sent, 400, 'validation_error', 'content');
    const escaped = await sendRawForm(app, 'POST', messages, user, [
      { name: 'payload_json', data: Buffer.from('{"content":"a \\ufffd"}') },
    ]);
    expect([escaped.status, escaped.body.content]).toEqual([200, 'a \ufffd']);
    // Nothing refused left a message behind.
    const history = await api(app, 'GET', `${messages}?limit=20`, { token: user.token });
    expect(history.body.filter((m: { content: string }) => m.content.startsWith('hi '))).toEqual([]);
  });

  it('in multipart text fields, valid non-ASCII text is stored as sent', async () => {
    const messages = `/channels/${channelId}/messages`;
    const plain = await sendRawForm(app, 'POST', messages, user, [
      { name: 'content', data: Buffer.from(TEXT) },
      file,
    ]);
    const declared = await sendRawForm(app, 'POST', messages, user, [
      { name: 'content', type: 'text/plain; charset=utf-8', data: Buffer.from(`${TEXT} 2`) },
    ]);
    const payload = await sendForm(app, 'POST', messages, user, [
      { field: 'payload_json', value: JSON.stringify({ content: `${TEXT} 3`, embeds: [{ title: TEXT }] }) },
      { filename: 'é.txt', type: 'text/plain', data: Buffer.from('hello') },
    ]);
    expect([plain.status, declared.status, payload.status]).toEqual([200, 200, 200]);
    for (const [res, content] of [
      [plain, TEXT],
      [declared, `${TEXT} 2`],
      [payload, `${TEXT} 3`],
    ] as const) {
      const stored = await app.rt.models.Message.findByPk(res.body.id as string);
      expect(stored?.content).toBe(content);
    }
    expect(payload.body.embeds[0].title).toBe(TEXT);
  });
});

describe('the OAuth2 token endpoint refuses ill-formed text as RFC 6749 invalid_request naming the field', () => {
  const token = (body: string | Buffer, type: string) =>
    raw('POST', '/oauth2/token', { headers: { 'content-type': type }, body });
  const expectInvalidRequest = (res: ApiResponse, field: string) => {
    expect({ status: res.status, error: res.body?.error, code: res.body?.code }).toEqual({
      status: 400,
      error: 'invalid_request',
      code: 'invalid_request',
    });
    expect(res.body.error_description).toContain(field);
  };
  const form = {
    grant_type: 'authorization_code',
    code: 'c',
    redirect_uri: 'http://127.0.0.1:9/callback',
    client_id: '1',
  };

  it('a lone surrogate in a JSON value or key', async () => {
    for (const lone of ['\ud800', '\udfff']) {
      expectInvalidRequest(
        await token(JSON.stringify({ ...form, code: `x${lone}` }), 'application/json'),
        'code',
      );
    }
    expectInvalidRequest(
      await token(JSON.stringify({ ...form, ['\ud800']: 'x' }), 'application/json'),
      'body',
    );
    const nul = await token(JSON.stringify({ ...form, redirect_uri: 'a\u0000b' }), 'application/json');
    expectInvalidRequest(nul, 'redirect_uri');
  });

  it('a form whose escapes or bytes are not UTF-8; the same on revoke', async () => {
    const urlencoded = 'application/x-www-form-urlencoded';
    const base = new URLSearchParams(form).toString();
    expectInvalidRequest(await token(`${base.replace('code=c', 'code=%ED%A0%80')}`, urlencoded), 'code');
    expectInvalidRequest(await token(`${base}&%FF=1`, urlencoded), 'body');
    const bytes = await token(
      Buffer.concat([Buffer.from(`${base}&state=`), Buffer.from([0xff])]),
      urlencoded,
    );
    expectInvalidRequest(bytes, 'UTF-8');
    const revoke = await raw('POST', '/oauth2/token/revoke', {
      headers: { 'content-type': urlencoded },
      body: 'token=%C3&client_id=1',
    });
    expectInvalidRequest(revoke, 'token');
    // Well-formed text (and a Latin-1 form) gets as far as the client check: an unknown client.
    const unknown = await token(`${base}&state=${encodeURIComponent('café 漢字 😀')}`, urlencoded);
    expect({ status: unknown.status, error: unknown.body.error }).toEqual({
      status: 401,
      error: 'invalid_client',
    });
    const latin1 = await token(
      Buffer.concat([Buffer.from(`${base}&state=`), Buffer.from([0xe9])]),
      `${urlencoded}; charset=iso-8859-1`,
    );
    expect({ status: latin1.status, error: latin1.body.error }).toEqual({
      status: 401,
      error: 'invalid_client',
    });
  });
});
