import http from 'node:http';
import { startRole } from '../shared/boot.js';
import { METRICS_PATH, metricsHandler } from '../shared/metrics/scrape.js';
import { capServerConnections } from '../shared/net/connection-cap.js';
import { startVoice } from './service.js';

/** Production entry of the voice role: `node dist/voice/main.js`, signaling on `voice.port`. */
await startRole('voice', async (rt) => {
  const scrape = metricsHandler(rt.config, rt.metrics);
  const server = http.createServer((req, res) => {
    if (rt.config.metrics.enabled && req.method === 'GET' && req.url === METRICS_PATH)
      return scrape(req, res);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"code":"not_found","message":"Not found"}');
  });
  capServerConnections(rt, server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(rt.config.voice.port, rt.config.server.host, resolve);
  });
  rt.lifecycle.add('voice http', () => new Promise<void>((resolve) => server.close(() => resolve())));
  const voice = await startVoice(rt, server, { required: true });
  rt.lifecycle.add('voice', () => voice.close());
  const address = server.address();
  rt.logger.info({ address }, 'voice listening');
  // Tests and supervisors read this line to learn the port when voice.port is 0.
  if (address && typeof address === 'object') process.stdout.write(`VOICE_LISTENING ${address.port}\n`);
});
