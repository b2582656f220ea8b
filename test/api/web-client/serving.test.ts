import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { mountWebClient } from '../../../api/web-client-page.js';
import { useTestApp } from '../../helpers/app.js';
import { expectServedUnderCsp } from '../../helpers/browser.js';
import { startLocalServer } from '../../helpers/http-server.js';
import { ensureWebClientBuilt } from '../../helpers/web-client.js';

beforeAll(() => ensureWebClientBuilt(), 120_000);
const app = useTestApp({ workers: false, gateway: false }, 120_000);

describe('the web client at /app/', () => {
  it('is served under the Content-Security-Policy: no inline script, hashed assets cached for good', async () => {
    await expectServedUnderCsp(app.origin, '/app');
  });

  it('answers deep links (an invite, a channel) with the app, /app with a redirect, a missing asset with 404', async () => {
    for (const at of ['/app/invite/abc123', '/app/channels/1/2']) {
      const res = await fetch(`${app.origin}${at}`);
      expect([at, res.status, (await res.text()).includes('<div id="app">')]).toEqual([at, 200, true]);
    }
    const bare = await fetch(`${app.origin}/app`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([301, '/app/']);
    expect((await fetch(`${app.origin}/app/assets/gone-1234.js`)).status).toBe(404);
  });

  it('answers 503 saying how to build it when the build is missing', async () => {
    const bare = express();
    mountWebClient(bare, path.join(os.tmpdir(), `no-web-client-${crypto.randomBytes(4).toString('hex')}`));
    const server = await startLocalServer(bare);
    try {
      const res = await fetch(`${server.origin}/app/invite/abc`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build:web');
    } finally {
      await server.close();
    }
  });
});
