/**
 * The contract sweep of an account's life: forgotten passwords and the mailed reset link, email
 * verification, password change, export and deletion. See harness.ts for what the sweep is and how
 * to run it against another instance.
 */
import crypto from 'node:crypto';
import { tokenFromMail } from '../helpers/smtp-receiver.js';
import { joinServer, loginAs, makeServer, register, send } from './fixtures.js';
import { app, call, eventually, formatsEverywhere, smtp, sweep } from './harness.js';
import { type Json } from './shapes.js';

describe('account lifecycle', () => {
  sweep(
    'forgot -> 204 always, reset by the mailed link, password change, export, deletion',
    60_000,
    async (s) => {
      const a = await register(s);
      // API.md: without email.smtp_url, routes that need mail answer 503 email_disabled.
      const forgot = async (login: string, what: string) => {
        const res = await call('POST', '/auth/password/forgot', null, { login });
        if (smtp) s.status(res, 204, what);
        else if (res.status !== 204) s.error(res, 503, what, 'email_disabled');
      };
      await forgot(`nobody_${crypto.randomBytes(4).toString('hex')}`, 'forgot for an unknown login');
      await forgot(a.email, 'forgot for a known email');
      s.invalid(await call('POST', '/auth/password/forgot', null, {}), 'forgot without login', 'login');
      s.error(
        await call('POST', '/auth/password/reset', null, {
          token: 'x'.repeat(43),
          password: 'a-newer-password-123',
        }),
        400,
        'an unknown reset token',
        'invalid_token',
      );
      s.invalid(
        await call('POST', '/auth/password/reset', null, {}),
        'reset with nothing',
        'token',
        'password',
      );
      let password = a.password;
      if (smtp) {
        // Registering with an email mails a verification link; its token verifies (the account's session).
        const [verifyMail] = await smtp.waitFor(a.email, 1, /verify/i);
        const verify = await call('POST', '/users/@me/email/verify', a, {
          token: tokenFromMail(verifyMail!, '/verify-email'),
        });
        s.status(verify, 204, 'POST /users/@me/email/verify');
        const [mail] = await smtp.waitFor(a.email, 1, /reset/i);
        const token = tokenFromMail(mail!, '/reset-password');
        const second = {
          token: (await loginAs(a, password)).body.token as string,
        };
        password = 'a-new-password-123';
        s.status(await call('POST', '/auth/password/reset', null, { token, password }), 204, 'reset');
        s.error(await call('GET', '/users/@me', a), 401, 'a session after the reset');
        s.error(await call('GET', '/users/@me', second), 401, 'another session after the reset');
        s.error(
          await call('POST', '/auth/password/reset', null, { token, password: 'a-newer-password-123' }),
          400,
          'a used reset token',
          'invalid_token',
        );
      }
      const login = await loginAs(a, password);
      s.status(login, 200, 'login with the current password');
      const me = { token: login.body.token as string };
      const other = {
        token: (await loginAs(a, password)).body.token as string,
      };

      // Password change: 204, other sessions revoked, this one kept.
      s.error(
        await call('PUT', '/users/@me/password', me, {
          current_password: 'wrong-password-1',
          password: 'third-password-123',
        }),
        400,
        'password change with a wrong current password',
      );
      s.invalid(
        await call('PUT', '/users/@me/password', me, {}),
        'password change with nothing',
        'current_password',
        'password',
      );
      s.status(
        await call('PUT', '/users/@me/password', me, {
          current_password: password,
          password: 'third-password-123',
        }),
        204,
        'PUT /users/@me/password',
      );
      s.status(await call('GET', '/users/@me', me), 200, 'the changing session survives');
      s.error(await call('GET', '/users/@me', other), 401, 'other sessions after a password change');
      s.error(
        await call('POST', '/users/@me/email/verify', me, { token: 'y'.repeat(43) }),
        400,
        'verify with an unknown token',
      );

      // Export: 202, then {status, url?}; the url downloads with the caller's token.
      const before = await call('GET', '/users/@me/export', me);
      s.status(before, 200, 'GET /users/@me/export before any');
      s.ok(
        typeof before.body?.status === 'string',
        `export status before any: ${JSON.stringify(before.body)}`,
      );
      const exp = await call('POST', '/users/@me/export', me);
      s.status(exp, 202, 'POST /users/@me/export');
      const ready = await eventually(async () => {
        const res = await call('GET', '/users/@me/export', me);
        return res.body?.url ? res : undefined;
      });
      s.ok(ready, 'the export never got a url');
      if (ready) {
        s.ok(typeof ready.body.status === 'string', 'export.status');
        s.ok(/^https?:\/\//.test(ready.body.url), `export.url ${ready.body.url} is not absolute`);
        const path = new URL(ready.body.url).pathname + new URL(ready.body.url).search;
        const dl = await fetch(`${app.origin}${path}`, { headers: { authorization: `Bearer ${me.token}` } });
        s.ok(dl.status === 200, `export download: ${dl.status}`);
        s.ok(
          dl.headers.get('content-type')?.includes('zip') ?? false,
          `export content-type ${dl.headers.get('content-type')}`,
        );
        const anonymous = await fetch(`${app.origin}${path}`);
        s.oneOf(anonymous, [401, 404], 'export download without a token');
      }

      // Deletion: 409 owns_servers naming them while the account owns servers.
      const { server, general } = await makeServer(s, me, 'Owned');
      await send(me, general.id, { content: 'stays after deletion' });
      const blocked = await call('DELETE', '/users/@me', me, { password: 'third-password-123' });
      s.error(blocked, 409, 'DELETE /users/@me while owning a server', 'owns_servers');
      s.ok(
        JSON.stringify(blocked.body).includes(server.id),
        `owns_servers does not name the server: ${JSON.stringify(blocked.body)}`,
      );
      const wrongPw = await call('DELETE', '/users/@me', me, { password: 'wrong-password-9' });
      s.oneOf(wrongPw, [400, 401, 403], 'deletion with a wrong password');
      // A member's messages stay in a server the account does not own.
      const owner = await register(s);
      const other2 = await makeServer(s, owner, 'Elsewhere');
      await joinServer(me, owner, other2.general.id);
      const kept = await send(me, other2.general.id, { content: 'I will be gone' });
      s.status(await call('DELETE', `/servers/${server.id}`, me), 204, 'DELETE /servers/{id} by its owner');
      s.status(
        await call('DELETE', '/users/@me', me, { password: 'third-password-123' }),
        204,
        'DELETE /users/@me',
      );
      s.error(await call('GET', '/users/@me', me), 401, 'a session of a deleted account');
      const history = (await call('GET', `/channels/${other2.general.id}/messages`, owner)).body as Json[];
      const left = history?.find((m) => m.id === kept.body?.id);
      s.ok(left, "the deleted account's message stays");
      s.eq(left?.author_id, a.id, 'the message keeps its author id');
      const placeholder = await call('GET', `/users/${a.id}`, owner);
      s.ok(
        placeholder.status === 200 && placeholder.body?.username !== a.username,
        `deleted user's profile: ${placeholder.status} ${JSON.stringify(placeholder.body)}`,
      );
    },
  );
});

formatsEverywhere(15);
