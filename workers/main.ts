import http from 'node:http';
import { startRole } from '../shared/boot.js';
import { METRICS_PATH, metricsHandler } from '../shared/metrics/scrape.js';
import { startWorkers } from './runner.js';

/** Production entry of the workers role: `node dist/workers/main.js`. */
await startRole('workers', async (rt) => {
  const pool = startWorkers(rt);
  rt.lifecycle.add('workers', () => pool.close());
  const { metrics } = rt.config;
  if (!metrics.enabled || metrics.port === 0) return;
  // Workers have no HTTP server of their own: job metrics get a listener when a port is set.
  const scrape = metricsHandler(rt.config, rt.metrics);
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === METRICS_PATH) return scrape(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(metrics.port, rt.config.server.host, resolve);
  });
  rt.lifecycle.add('metrics', () => new Promise<void>((resolve) => server.close(() => resolve())));
});
