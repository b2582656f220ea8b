/**
 * The contract sweep of accounts and sessions: register, login, validation, logout, sessions, 2FA,
 * profiles, relationships, DMs and notes. See harness.ts for what the sweep is and how to run it
 * against another instance.
 */
import crypto from 'node:crypto';
import { totpCode } from '../helpers/accounts.js';
import { GHOST, loginAs, register, send } from './fixtures.js';
import { call, formatsEverywhere, sweep } from './harness.js';
import { idTime, type Json, mapped } from './shapes.js';

// Bodies are the checker's `Json` (harness.ts), read field by field: lambdas picking a field return `any`.
/* eslint-disable @typescript-eslint/no-unsafe-return */

describe('accounts and sessions', () => {
  sweep('register, login, validation, logout, sessions', async (s) => {
    const a = await register(s);
    // Validation names every offending field at once.
    const bad = await call('POST', '/auth/register', null, { username: '', password: 1 });
    s.invalid(bad, 'register with bad fields', 'username', 'password');
    const empty = await call('POST', '/auth/register', null, {});
    s.invalid(empty, 'register with nothing', 'username', 'password');
    const taken = await call('POST', '/auth/register', null, {
      username: a.username,
      password: 'another-password-1',
    });
    s.error(taken, 409, 'register a taken username');

    const login = await loginAs(a);
    s.status(login, 200, 'login');
    s.ok(
      typeof login.body?.token === 'string' && login.body?.user?.id === a.id,
      'login body is {token, user}',
    );
    s.user(login.body?.user, 'login.user');
    const byEmail = await call('POST', '/auth/login', null, { login: a.email, password: a.password });
    s.status(byEmail, 200, 'login by email');
    const wrong = await call('POST', '/auth/login', null, {
      login: a.username,
      password: 'not-the-password',
    });
    s.error(wrong, 401, 'login with a wrong password');
    s.invalid(await call('POST', '/auth/login', null, {}), 'login with nothing', 'login', 'password');

    s.error(await call('GET', '/users/@me'), 401, 'GET /users/@me without a token');
    s.error(await call('GET', '/users/@me', { token: 'nonsense' }), 401, 'GET /users/@me with a bad token');

    const sessions = await call('GET', '/users/@me/sessions', a);
    s.status(sessions, 200, 'GET /users/@me/sessions');
    const list = sessions.body as Json[];
    s.ok(
      Array.isArray(list) && list.length === 3,
      `sessions: expected 3 (register + 2 logins), got ${list?.length}`,
    );
    for (const session of list ?? []) {
      s.has(session, ['id', 'created_at', 'last_used_at', 'ip', 'user_agent', 'current'], 'session');
      s.created(session, 'session');
      s.ok(
        session.last_used_at === null || Number.isInteger(session.last_used_at),
        `session.last_used_at ${session.last_used_at}`,
      );
    }
    s.eq((list ?? []).filter((x) => x.current).length, 1, 'exactly one current session');
    const current = (list ?? []).find((x) => x.current);
    s.ok(current && current.created_at === idTime(current.id), 'current session is the caller');

    // Revoking another session: its token stops working, the caller's keeps working.
    const other = { token: login.body.token as string };
    const otherId = ((await call('GET', '/users/@me/sessions', other)).body as Json[]).find((x) => x.current)
      ?.id as string;
    const revoke = await call('DELETE', `/users/@me/sessions/${otherId}`, a);
    s.status(revoke, 204, 'DELETE /users/@me/sessions/{id}');
    s.error(await call('GET', '/users/@me', other), 401, 'a revoked session');
    s.status(await call('GET', '/users/@me', a), 200, 'the revoking session still works');
    s.error(await call('DELETE', `/users/@me/sessions/${otherId}`, a), 404, 'revoking a revoked session');

    // Logout revokes the calling session.
    const byEmailToken = { token: byEmail.body.token as string };
    const logout = await call('POST', '/auth/logout', byEmailToken);
    s.oneOf(logout, [204, 200], 'logout');
    s.error(await call('GET', '/users/@me', byEmailToken), 401, 'after logout');
  });

  sweep('2FA: enable, confirm, login ticket, TOTP and backup codes, disable', async (s) => {
    const a = await register(s);
    const enable = await call('POST', '/users/@me/mfa/totp/enable', a);
    s.status(enable, 200, 'mfa enable');
    s.ok(typeof enable.body?.secret === 'string', 'enable.secret');
    s.ok(
      /^otpauth:\/\/totp\//.test(enable.body?.otpauth_url ?? ''),
      `enable.otpauth_url ${enable.body?.otpauth_url}`,
    );
    s.invalid(
      await call('POST', '/users/@me/mfa/totp/confirm', a, { code: '000000' }),
      'confirm with a wrong code',
      'code',
    );
    const confirm = await call('POST', '/users/@me/mfa/totp/confirm', a, {
      code: await totpCode(enable.body.secret),
    });
    s.status(confirm, 200, 'mfa confirm');
    const backup = confirm.body?.backup_codes as string[];
    s.ok(
      Array.isArray(backup) && backup.length > 0 && backup.every((c) => typeof c === 'string'),
      'backup_codes',
    );

    const login = await loginAs(a);
    s.status(login, 200, 'login with 2FA on');
    s.eq(login.body?.mfa_required, true, 'login.mfa_required');
    s.ok(typeof login.body?.ticket === 'string', 'login.ticket');
    s.ok(!('token' in (login.body ?? {})), 'login with 2FA on gives no token');
    s.error(
      await call('POST', '/auth/mfa/totp', null, { ticket: login.body.ticket, code: '000000' }),
      401,
      'a wrong TOTP code',
    );
    const withBackup = await call('POST', '/auth/mfa/totp', null, {
      ticket: login.body.ticket,
      code: backup[0],
    });
    s.status(withBackup, 200, 'mfa with a backup code');
    s.ok(
      typeof withBackup.body?.token === 'string' && withBackup.body?.user?.id === a.id,
      'mfa answer is {token, user}',
    );
    const again = await loginAs(a);
    const reused = await call('POST', '/auth/mfa/totp', null, { ticket: again.body.ticket, code: backup[0] });
    s.oneOf(reused, [401, 400], 'a spent backup code');
    const disable = await call('POST', '/users/@me/mfa/totp/disable', a, { code: backup[1] });
    s.oneOf(disable, [204, 200], 'mfa disable');
    const plain = await loginAs(a);
    s.ok(typeof plain.body?.token === 'string', 'login after disable gives a token');
  });

  sweep('profiles, relationships, DMs and notes', async (s) => {
    const a = await register(s);
    const b = await register(s);
    const me = await call('GET', '/users/@me', a);
    s.status(me, 200, 'GET /users/@me');
    s.user(me.body, 'me');
    const renamed = `cs_${crypto.randomBytes(5).toString('hex')}`;
    const patch = await call('PATCH', '/users/@me', a, { username: renamed });
    s.status(patch, 200, 'PATCH /users/@me');
    s.eq(patch.body?.username, renamed, 'PATCH answers the new profile');
    s.invalid(await call('PATCH', '/users/@me', a, { username: '' }), 'PATCH a bad username', 'username');
    const pub = await call('GET', `/users/${a.id}`, b);
    s.status(pub, 200, 'GET /users/{id}');
    s.user(pub.body, 'public user');
    s.ok(!('email' in (pub.body ?? {})), 'the public profile hides the email');
    s.error(await call('GET', `/users/${GHOST}`, b), 404, 'an unknown user');
    s.invalid(await call('GET', '/users/abc', b), 'a malformed user id', 'user_id');

    // Relationships: request, pending both ways, accept, block, remove.
    const req = await call('PUT', `/users/@me/relationships/${b.id}`, a, { status: 'friend' });
    s.oneOf(req, [200, 201, 204], 'friend request');
    const aRel = (await call('GET', '/users/@me/relationships', a)).body as Json[];
    const bRel = (await call('GET', '/users/@me/relationships', b)).body as Json[];
    s.eq(
      mapped(aRel, (r) => [r.user?.id, r.status]),
      [[b.id, 'pending_outgoing']],
      'sender sees pending_outgoing',
    );
    s.eq(
      mapped(bRel, (r) => [r.user?.id, r.status]),
      [[a.id, 'pending_incoming']],
      'recipient sees pending_incoming',
    );
    if (aRel?.[0]) s.user(aRel[0].user, 'relationship.user');
    await call('PUT', `/users/@me/relationships/${a.id}`, b, { status: 'friend' });
    const friends = (await call('GET', '/users/@me/relationships', a)).body as Json[];
    s.eq(
      mapped(friends, (r) => r.status),
      ['friend'],
      'accepted: friend',
    );
    const block = await call('PUT', `/users/@me/relationships/${b.id}`, a, { status: 'blocked' });
    s.oneOf(block, [200, 201, 204], 'block');
    s.eq(
      mapped((await call('GET', '/users/@me/relationships', a)).body, (r) => r.status),
      ['blocked'],
      'blocked',
    );
    s.invalid(
      await call('PUT', `/users/@me/relationships/${b.id}`, a, { status: 'bogus' }),
      'a bad status',
      'status',
    );
    s.status(await call('DELETE', `/users/@me/relationships/${b.id}`, a), 204, 'DELETE relationship');
    s.eq((await call('GET', '/users/@me/relationships', a)).body, [], 'no relationships left');

    // DM channel: created once, reused.
    const dm1 = await call('POST', '/users/@me/channels', a, { recipient_id: b.id });
    s.oneOf(dm1, [200, 201], 'DM create');
    s.eq(dm1.body?.channel_type, 'dm', 'DM channel_type');
    s.created(dm1.body, 'dm');
    const dm2 = await call('POST', '/users/@me/channels', a, { recipient_id: b.id });
    s.eq(dm2.body?.id, dm1.body?.id, 'the same DM channel again');
    const dm3 = await call('POST', '/users/@me/channels', b, { recipient_id: a.id });
    s.eq(dm3.body?.id, dm1.body?.id, 'the other side gets the same DM channel');
    s.invalid(await call('POST', '/users/@me/channels', a, {}), 'DM without recipient', 'recipient_id');
    const notes = await call('GET', '/users/@me/notes', a);
    s.status(notes, 200, 'GET /users/@me/notes');
    s.eq(notes.body?.channel_type, 'notes', 'notes channel_type');
    s.eq((await call('GET', '/users/@me/notes', a)).body?.id, notes.body?.id, 'notes is one channel');
    const note = await send(a, notes.body.id, { content: 'remember' });
    s.oneOf(note, [200, 201], 'message to notes');
    s.error(await call('GET', `/channels/${notes.body.id}`, b), 404, "someone else's notes");
  });
});

formatsEverywhere(25);
