import { startTestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';

describe('Bull Board at /admin/queues', () => {
  it('is not mounted by default', async () => {
    const app = await startTestApp({ workers: false, gateway: false });
    try {
      const res = await fetch(`${app.origin}/admin/queues`);
      expect(res.status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('serves the dashboard and lists the queues when admin.bull_board is on', async () => {
    const app = await startTestApp({
      config: testConfig({ admin: { bull_board: true } }),
      workers: false,
      gateway: false,
    });
    try {
      const page = await fetch(`${app.origin}/admin/queues`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      const api = await fetch(`${app.origin}/admin/queues/api/queues`);
      expect(api.status).toBe(200);
      const body = (await api.json()) as { queues: { name: string }[] };
      expect(body.queues.map((q) => q.name)).toContain('messages');
    } finally {
      await app.close();
    }
  });
});
