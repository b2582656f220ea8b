import { useTestApp } from './helpers/app.js';

// The stand-in useTestApp returns is what converted suites read as their app, so it must behave
// as the started TestApp does wherever a test reads it, and refuse loudly where no app is there.

const app = useTestApp({ workers: false, gateway: false });
const readWhileDefining = (() => {
  try {
    return app.origin;
  } catch (err) {
    return err;
  }
})();

it('refuses a read made while the suite is being defined, naming the property', () => {
  expect(readWhileDefining).toBeInstanceOf(Error);
  expect((readWhileDefining as Error).message).toMatch(/app\.origin was read before the app started/);
});

it('reads the started app: its values, its methods, its keys, a spread of it', async () => {
  expect(app.origin).toBe(`http://127.0.0.1:${app.port}`);
  expect(app.api).toBe(`${app.origin}/api/v1`);
  expect(typeof app.close).toBe('function');
  expect(app.rt.config).toBe(app.config);
  expect('rt' in app).toBe(true);
  expect(Object.keys(app).sort()).toEqual(['api', 'close', 'config', 'origin', 'port', 'rt', 'voice']);
  expect({ ...app }.port).toBe(app.port);
  expect((await fetch(`${app.api}/ready`)).status).toBe(200);
});

it('is not mistaken for a promise, and cannot be assigned to', async () => {
  expect(await Promise.resolve(app)).toBe(app);
  expect(() => {
    (app as { port: number }).port = 1;
  }).toThrow(/app\.port cannot be assigned/);
});
