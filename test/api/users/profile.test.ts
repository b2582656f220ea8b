import type { DispatchFrame } from '../../../shared/events/index.js';
import { api, registerUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';

/** PATCH /users/@me is a command (shared/domain/users/profile.ts): the row and USER_UPDATE together. */
const clients: GatewayClient[] = [];
const app = useTestApp({ workers: false });
afterAll(() => {
  for (const c of clients) c.close();
});

describe('PATCH /users/@me', () => {
  it('a new username reaches the user’s own connections as USER_UPDATE; a taken one changes nothing', async () => {
    const user = await registerUser(app);
    const other = await registerUser(app);
    const watching = await connectGateway(app.origin, { token: user.token });
    clients.push(watching);
    const username = `renamed_${user.id.slice(-6)}`;
    const res = await api(app, 'PATCH', '/users/@me', { token: user.token, body: { username } });
    expect([res.status, res.body.username]).toEqual([200, username]);
    const [frame] = await watching.waitForFrames(1, (f) => f.t === 'USER_UPDATE');
    expect((frame as DispatchFrame<'USER_UPDATE'>).d).toMatchObject({ id: user.id, username });

    const taken = await api(app, 'PATCH', '/users/@me', {
      token: user.token,
      body: { username: other.username },
    });
    expect([taken.status, taken.body.code]).toEqual([409, 'username_taken']);
    const me = await api(app, 'GET', '/users/@me', { token: user.token });
    expect(me.body.username).toBe(username);
  });
});
