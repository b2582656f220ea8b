import { configEnv, testConfig } from '../helpers/config.js';
import { spawnEntry } from '../helpers/processes.js';

describe('role processes', () => {
  it.each(['workers/main.ts', 'gateway/main.ts', 'voice/main.ts', 'api/main.ts'])(
    '%s starts against the real services and exits 0 on SIGTERM',
    async (entry) => {
      const config = testConfig();
      const proc = spawnEntry(entry, {
        ...configEnv(config),
        PLEXICHAT_LOG__LEVEL: 'info',
        PLEXICHAT_SERVER__PORT: '0',
        PLEXICHAT_GATEWAY__PORT: '0',
      });
      await proc.waitFor(/workers started|gateway listening|voice listening|api listening/);
      expect(await proc.kill('SIGTERM')).toBe(0);
      expect(proc.output()).toMatch(/shutting down/);
    },
  );
});
