import http from 'node:http';
import { startRole } from '../shared/boot.js';
import { METRICS_PATH, metricsHandler } from '../shared/metrics/scrape.js';
import { capServerConnections } from '../shared/net/connection-cap.js';
import { startGateway } from './server.js';

/** Production entry of the gateway role: `node dist/gateway/main.js`, on `gateway.port`. */
await startRole('gateway', async (rt) => {
  const scrape = metricsHandler(rt.config, rt.metrics);
  const server = http.createServer((req, res) => {
    if (rt.config.metrics.enabled && req.method === 'GET' && req.url === METRICS_PATH)
      return scrape(req, res);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"code":"not_found","message":"Not found"}');
  });
  capServerConnections(rt, server);
  const gateway = await startGateway(rt, server);
  rt.lifecycle.add('gateway', () => gateway.close());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(rt.config.gateway.port, rt.config.server.host, resolve);
  });
  const address = server.address();
  rt.logger.info({ address }, 'gateway listening');
  // Tests and supervisors read this line to learn the port when gateway.port is 0.
  if (address && typeof address === 'object') process.stdout.write(`GATEWAY_LISTENING ${address.port}\n`);
});
