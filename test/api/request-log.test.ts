import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { requestLog } from '../../api/middleware/request-log.js';
import { captureLog } from '../helpers/log-capture.js';

/**
 * The request log (api/middleware/request-log.ts) through real HTTP: at a level that keeps info
 * every request is logged; at one that does not, a successful request builds nothing (its URL is
 * never even redacted) while a failure's line is exactly the one logged at info level.
 */

type Line = Record<string, unknown> & { msg: string; req?: Record<string, unknown> };

async function run(
  level: 'info' | 'warn',
  path: string,
): Promise<{ lines: Line[]; redacted: number; id: string }> {
  const { logger, lines } = captureLog<Line>({ level, base: { role: 'test' } });
  let redacted = 0;
  const app = express();
  app.use(
    requestLog(logger, {
      redactUrl: (_method, url) => {
        redacted += 1;
        return url;
      },
      ignore: (url) => url === '/health',
    }),
  );
  const router = express.Router();
  router.get('/items/:item_id', (req, res) => {
    if (req.params.item_id === 'broken') res.status(500).json({ code: 'internal_error' });
    else res.json({ ok: true });
  });
  app.use('/api', router);
  const server = http.createServer(app);
  // Registered after the app's listener, so it runs after the request log's own on the same event.
  const ended = new Promise<void>((resolve) =>
    server.once('request', (_req, res: http.ServerResponse) => res.once('close', () => resolve())),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: { 'x-request-id': 'req-1', authorization: 'Bearer secret' },
    });
    await res.text();
    // The line is written when the response ends.
    await ended;
    return { lines, redacted, id: res.headers.get('x-request-id') ?? '' };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A line without what differs from run to run. */
function comparable(line: Line | undefined): Record<string, unknown> {
  const { time: _time, responseTime: _rt, pid: _pid, hostname: _host, req, ...rest } = line ?? { msg: '' };
  const { remotePort: _port, headers, ...request } = req ?? {};
  const { host: _h, ...stableHeaders } = (headers ?? {}) as Record<string, unknown>;
  // The synthetic error's stack names the function that made it.
  const { stack: _stack, ...err } = (rest.err ?? {}) as Record<string, unknown>;
  return { ...rest, err, req: { ...request, headers: stableHeaders } };
}

describe('request log', () => {
  it('logs every request while info is kept', async () => {
    const { lines, redacted, id } = await run('info', '/api/items/7?q=1');
    expect(id).toBe('req-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: {
        id: 'req-1',
        method: 'GET',
        url: '/api/items/7?q=1',
        query: { q: '1' },
        remoteAddress: '127.0.0.1',
      },
    });
    // As it arrived: the router's parameters came later.
    expect(lines[0]?.req?.params).toEqual({});
    expect(redacted).toBe(1);
  });

  it('builds nothing for a successful request when no sink keeps info, and still sets the request id', async () => {
    const { lines, redacted, id } = await run('warn', '/api/items/7?q=1');
    expect(id).toBe('req-1');
    expect(lines).toHaveLength(0);
    expect(redacted).toBe(0);
  });

  it('logs a failure at warn exactly as at info', async () => {
    const atInfo = await run('info', '/api/items/broken?q=1');
    const atWarn = await run('warn', '/api/items/broken?q=1');
    expect(atWarn.lines).toHaveLength(1);
    expect(atWarn.lines[0]).toMatchObject({ level: 50, msg: 'request errored', res: { statusCode: 500 } });
    expect(comparable(atWarn.lines[0])).toEqual(comparable(atInfo.lines[0]));
  });

  it('skips ignored paths at any level', async () => {
    expect((await run('info', '/health')).lines).toHaveLength(0);
    expect((await run('warn', '/health')).lines).toHaveLength(0);
  });
});
