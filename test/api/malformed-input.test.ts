import zlib from 'node:zlib';
import { api, registerUser, type ApiResponse, type TestUser } from '../helpers/accounts.js';
import { useTestApp } from '../helpers/app.js';
import { connectGateway } from '../helpers/gateway-client.js';
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
  it('bad percent-encoding in a path is a 400, with or without a token', async () => {
    expectClientError(await raw('GET', '/channels/%ZZ'), 400, 'malformed_uri');
    expectClientError(
      await raw('GET', '/channels/%ZZ', { headers: { authorization: `Bearer ${user.token}` } }),
      400,
      'malformed_uri',
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
