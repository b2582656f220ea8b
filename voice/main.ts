import { startRole } from '../shared/boot.js';
import { startVoice } from './service.js';

/** Production entry of the voice role: `node dist/voice/main.js`. */
await startRole('voice', (rt) => {
  const voice = startVoice(rt);
  // Nothing listens yet; keep the process alive until a signal, like the other roles.
  const keepAlive = setInterval(() => undefined, 60_000);
  rt.lifecycle.add('voice', async () => {
    clearInterval(keepAlive);
    await voice.close();
  });
});
