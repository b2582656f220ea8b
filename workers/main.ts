import { startRole } from '../shared/boot.js';
import { startWorkers } from './runner.js';

/** Production entry of the workers role: `node dist/workers/main.js`. */
await startRole('workers', (rt) => {
  const pool = startWorkers(rt);
  rt.lifecycle.add('workers', () => pool.close());
});
