/**
 * The contract sweep of requests as a checker might send them: bodiless POSTs, a forgot-password
 * request repeated. See harness.ts for what the sweep is and how to run it against another instance.
 */
import { api } from '../helpers/accounts.js';
import { ownerWithServer } from './fixtures.js';
import { app, formatsEverywhere, postRaw, smtp, sweep } from './harness.js';

describe('requests as a checker might send them', () => {
  sweep('bodiless POSTs, forgot-password repeated', async (s) => {
    const { owner, general } = await ownerWithServer(s);
    // No body at all (no Content-Type): the optional fields are optional.
    const invite = await postRaw(`/channels/${general.id}/invites`, owner);
    s.oneOf(invite, [201, 200], 'POST invites without a body');
    const thread = await postRaw(
      `/channels/${general.id}/threads`,
      owner,
      '{"name":"t"}',
      'application/json',
    );
    s.ok(thread.status === 201, `POST threads: ${thread.status}`);
    // "204 always": repeating the request for one account from one address.
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await api(app, 'POST', '/auth/password/forgot', {
        body: { login: owner.email },
        headers: { 'x-forwarded-for': '198.51.100.77' },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        s.ok(
          typeof res.body?.retry_after === 'number' && res.headers.get('retry-after'),
          'a forgot 429 carries retry_after',
        );
      }
    }
    s.ok(
      statuses.every((x) => x === 204 || x === 429 || (!smtp && x === 503)),
      `forgot answers ${statuses.join(', ')}`,
    );
  });
});

formatsEverywhere(3);
