import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createExpressServer } from '../../api/express-server.js';

/**
 * createExpressServer (api/express-server.ts): requests reach express already carrying the app's
 * prototypes, so express's re-parenting of each one is a no-op, and express works on them as ever,
 * through mounted sub-apps too.
 */
describe('createExpressServer', () => {
  let server: http.Server;
  let base: string;
  const app = express();
  const arrived: unknown[] = [];

  beforeAll(async () => {
    const sub = express();
    // A sub-app that answers one path and passes everything else back to the parent app.
    sub.get('/own', (req, res) => {
      res.json({ sub: req.app === sub, header: req.get('x-probe') ?? null });
    });
    app.use('/sub', sub);
    app.get('/sub/after', (req, res) => {
      res.json({ parent: req.app === app, header: req.get('x-probe') ?? null });
    });
    app.get('/plain', (req, res) => {
      res.status(201).json({ header: req.get('x-probe') ?? null, path: req.path });
    });
    server = createExpressServer(app);
    // Before express's own listener: the prototypes the requests were born with.
    server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      arrived.push(Object.getPrototypeOf(req), Object.getPrototypeOf(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { 'x-probe': 'yes' } });
    return { status: res.status, body: await res.json() };
  };

  it('hands express requests and responses born with the app prototypes', async () => {
    arrived.length = 0;
    expect(await get('/plain')).toEqual({ status: 201, body: { header: 'yes', path: '/plain' } });
    expect(arrived).toHaveLength(2);
    expect(arrived[0]).toBe(app.request);
    expect(arrived[1]).toBe(app.response);
    expect(app.request).toBeInstanceOf(http.IncomingMessage);
    expect(app.response).toBeInstanceOf(http.ServerResponse);
  });

  it('serves mounted sub-apps and gives requests back to the parent app after them', async () => {
    expect(await get('/sub/own')).toEqual({ status: 200, body: { sub: true, header: 'yes' } });
    expect(await get('/sub/after')).toEqual({ status: 200, body: { parent: true, header: 'yes' } });
  });
});
