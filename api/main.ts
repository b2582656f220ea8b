import { startRole } from '../shared/boot.js';
import { startApi } from './server.js';

/** Production entry of the API role: `node dist/api/main.js`. */
await startRole('api', async (rt) => {
  const api = await startApi(rt);
  rt.lifecycle.add('api', () => api.close());
});
