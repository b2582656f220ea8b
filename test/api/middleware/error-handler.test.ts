import { registerUser, type TestUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { openRawConnection, requestHead, type RawConnection } from '../../helpers/raw-http.js';

/** What the error handler reads of a refused request's unread body before it closes instead. */
const DRAIN_MAX_BYTES = 1024 * 1024;

let user: TestUser;
const connections: RawConnection[] = [];
const app = useTestApp({ workers: false, gateway: false });
beforeAll(async () => {
  user = await registerUser(app);
});
afterEach(() => {
  for (const c of connections.splice(0)) c.destroy();
});

function connect(): RawConnection {
  const connection = openRawConnection(app.api);
  connections.push(connection);
  return connection;
}

/** A whole response: status line, headers, and a JSON body (every error answer has one). */
const ANSWER = /^HTTP\/1\.1 \d{3} [\s\S]*?\r\n\r\n\{[\s\S]*\}$/;

function parse(received: string) {
  const [head = '', body = ''] = received.split('\r\n\r\n');
  return {
    status: Number(head.slice(9, 12)),
    closes: /\r\nconnection: close\r\n/i.test(`${head}\r\n`),
    body: JSON.parse(body) as unknown,
  };
}

/** Starts a request that PATCH /users/@me refuses with 401 before reading its body (a made-up token). */
function refusedRequest(headers: Record<string, string | number>, bodyStart = ''): RawConnection {
  const connection = connect();
  connection.write(
    requestHead('PATCH', `${app.api}/users/@me`, { Authorization: 'Bearer not-a-token', ...headers }) +
      bodyStart,
  );
  return connection;
}

/** A second request on the same connection is answered: the refused one left it usable. */
async function expectReusable(connection: RawConnection): Promise<void> {
  connection.clear();
  connection.write(requestHead('GET', `${app.api}/version`));
  await connection.waitFor(/^HTTP\/1\.1 200 /, 'a second answer on the same connection');
  expect(connection.closed).toBe(false);
}

describe('an error answer to a request whose body is still unread', () => {
  // Refused before anything reads the body: express.json skips these types, the routes refuse first.
  const cases = [
    {
      why: 'an unknown token (401)',
      method: 'PATCH',
      path: '/users/@me',
      headers: (): Record<string, string> => ({ Authorization: 'Bearer not-a-token' }),
      status: 401,
      code: 'unauthorized',
    },
    {
      why: 'an unknown route (404)',
      method: 'POST',
      path: '/no-such-route',
      headers: (): Record<string, string> => ({}),
      status: 404,
      code: 'unknown_route',
    },
    {
      why: 'a body that is not JSON (415)',
      method: 'PATCH',
      path: '/users/@me',
      headers: (): Record<string, string> => user.headers,
      status: 415,
      code: 'unsupported_media_type',
    },
  ];

  it.each(cases)(
    'small, for $why: read to its end first, so the client still writing gets the answer on a live connection',
    async ({ method, path, headers, status, code }) => {
      const connection = connect();
      const [first, rest] = ['a'.repeat(3000), 'b'.repeat(3000)];
      connection.write(
        requestHead(method, `${app.api}${path}`, {
          ...headers(),
          'Content-Type': 'application/octet-stream',
          'Content-Length': first.length + rest.length,
        }) + first,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The answer waits for the body; closing under a client still writing would fail its write (EPIPE).
      expect([connection.received, connection.closed]).toEqual(['', false]);
      connection.write(rest);
      await connection.waitFor(ANSWER, `the ${status}`);
      const answer = parse(connection.received);
      expect(answer).toEqual({ status, closes: false, body: { code, message: expect.any(String) } });
      expect(connection.writeFailed).toBe(false);
      await expectReusable(connection);
    },
  );

  it('an unannounced (chunked) small body is drained the same way', async () => {
    const connection = refusedRequest(
      { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' },
      '5\r\nhello\r\n',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(connection.received).toBe('');
    connection.write('0\r\n\r\n');
    await connection.waitFor(ANSWER, 'the 401');
    expect(parse(connection.received)).toMatchObject({ status: 401, closes: false });
    await expectReusable(connection);
  });

  it('a body express.json already read is not waited for again', async () => {
    const body = JSON.stringify({ username: 'x' });
    const connection = refusedRequest(
      { 'Content-Type': 'application/json', 'Content-Length': body.length },
      body,
    );
    await connection.waitFor(ANSWER, 'the 401');
    expect(parse(connection.received)).toMatchObject({ status: 401, closes: false });
    await expectReusable(connection);
  });

  it('big (declared over the drain cap): answered at once with Connection: close, the rest not waited for', async () => {
    const connection = refusedRequest(
      { 'Content-Type': 'application/octet-stream', 'Content-Length': 8 * DRAIN_MAX_BYTES },
      'x'.repeat(1000),
    );
    // Answered although almost none of the body was sent.
    await connection.waitFor(ANSWER, 'the 401');
    expect(parse(connection.received)).toEqual({
      status: 401,
      closes: true,
      body: { code: 'unauthorized', message: expect.any(String) },
    });
    await connection.waitClosed(5000);
  });

  it('big and chunked: read up to the drain cap only, then answered with Connection: close', async () => {
    const connection = refusedRequest({
      'Content-Type': 'application/octet-stream',
      'Transfer-Encoding': 'chunked',
    });
    const chunk = `10000\r\n${'x'.repeat(0x10000)}\r\n`;
    // Twice the cap, without an end: only the cap stops the drain (not the time limit).
    for (let i = 0; i < (2 * DRAIN_MAX_BYTES) / 0x10000; i++) connection.write(chunk);
    await connection.waitFor(ANSWER, 'the 401', 1500);
    expect(parse(connection.received)).toMatchObject({ status: 401, closes: true });
    await connection.waitClosed(5000);
  });

  it('small but never finished: waited for a bounded time, then answered with Connection: close', async () => {
    const connection = refusedRequest(
      { 'Content-Type': 'application/octet-stream', 'Content-Length': 1000 },
      'x'.repeat(10),
    );
    const started = Date.now();
    await connection.waitFor(ANSWER, 'the 401', 10000);
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect(parse(connection.received)).toMatchObject({ status: 401, closes: true });
    await connection.waitClosed(5000);
  });
});

describe('a JSON body declared over the body limit', () => {
  it('is refused with 413 at once, before any of it is read, and the connection closes', async () => {
    const connection = connect();
    connection.write(
      requestHead('POST', `${app.api}/auth/login`, {
        'Content-Type': 'application/json',
        'Content-Length': 64 * DRAIN_MAX_BYTES,
      }) + '{"email": "',
    );
    // Answered although the client sent a few bytes of the 64 MiB it announced.
    await connection.waitFor(ANSWER, 'the 413');
    expect(parse(connection.received)).toEqual({
      status: 413,
      closes: true,
      body: { code: 'payload_too_large', message: expect.any(String), limit_bytes: expect.any(Number) },
    });
    await connection.waitClosed(5000);
  });
});

describe('a client that sends its whole body over a limit before it reads (most HTTP clients)', () => {
  it('writes it all and then reads the 413: what it sends after the answer is read off before the close', async () => {
    const size = 64 * DRAIN_MAX_BYTES;
    const connection = connect();
    connection.write(
      requestHead('PATCH', `${app.api}/users/@me`, {
        ...user.headers,
        'Content-Type': 'application/json',
        'Content-Length': size,
      }),
    );
    // More than loopback's socket buffers hold: most of it arrives after the answer went out.
    const chunk = Buffer.alloc(DRAIN_MAX_BYTES, 'x');
    for (let sent = 0; sent < size; sent += chunk.length) connection.write(chunk);
    await connection.waitFor(ANSWER, 'the 413', 10000);
    await connection.waitClosed(10000);
    // Closed at once, the connection's unread bytes would have been answered with a reset: the
    // client's writes fail (EPIPE, ECONNRESET) and a client that reads only after writing loses the 413.
    expect(connection.writeFailed).toBe(false);
    expect(parse(connection.received)).toMatchObject({ status: 413, closes: true });
  });
});

describe('a chunked JSON body over the body limit', () => {
  it('(under the limit it is parsed as any other)', async () => {
    const connection = connect();
    const body = JSON.stringify({ login: 'nobody-here', password: 'not the password' });
    connection.write(
      requestHead('POST', `${app.api}/auth/login`, {
        'Content-Type': 'application/json',
        'Transfer-Encoding': 'chunked',
      }) + `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    await connection.waitFor(ANSWER, 'the answer', 5000);
    // Wrong credentials, not a body that failed to parse (400).
    expect(parse(connection.received)).toMatchObject({ status: 401 });
  });

  it('is refused with 413 once it crosses the limit, without waiting for its end, and the connection closes', async () => {
    const limit = app.config.server.body_limit_bytes;
    const connection = connect();
    connection.write(
      requestHead('POST', `${app.api}/auth/login`, {
        'Content-Type': 'application/json',
        'Transfer-Encoding': 'chunked',
      }),
    );
    // Past the limit and past the drain cap, and never finished: only the limit can answer it.
    const chunk = `10000\r\n${'x'.repeat(0x10000)}\r\n`;
    for (let sent = 0; sent <= limit + 2 * DRAIN_MAX_BYTES; sent += 0x10000) connection.write(chunk);
    await connection.waitFor(ANSWER, 'the 413', 5000);
    expect(parse(connection.received)).toEqual({
      status: 413,
      closes: true,
      body: { code: 'payload_too_large', message: expect.any(String), limit_bytes: limit },
    });
    await connection.waitClosed(5000);
  });
});
