import { Op } from 'sequelize';
import { useTestApp } from '../../helpers/app.js';
import { api, enableMfa, randomIp, registerUser, totpCode, type TestUser } from '../../helpers/accounts.js';
import { testConfig } from '../../helpers/config.js';

const app = useTestApp({
  workers: false,
  gateway: false,
  config: testConfig({ security: { mfa_ticket_ttl_seconds: 30 } }),
});

const totp = totpCode;
const xff = () => ({ 'x-forwarded-for': randomIp() });

/** `count` six-digit codes none of which is valid for `secret` right now. */
async function wrongCodes(secret: string, count: number, from: number): Promise<string[]> {
  const valid = new Set([await totp(secret, -1), await totp(secret), await totp(secret, 1)]);
  const codes: string[] = [];
  for (let n = from; codes.length < count; n++) if (!valid.has(String(n))) codes.push(String(n));
  return codes;
}

/** Registers a user and turns 2FA on; returns the secret and backup codes. */
async function withMfa(): Promise<TestUser & { secret: string; backupCodes: string[] }> {
  const u = await registerUser(app);
  return { ...u, ...(await enableMfa(app, u)) };
}

async function ticketFor(u: TestUser): Promise<string> {
  const res = await api(app, 'POST', '/auth/login', {
    headers: xff(),
    body: { login: u.username, password: u.password },
  });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ mfa_required: true, ticket: expect.any(String) });
  return res.body.ticket as string;
}

describe('TOTP 2FA', () => {
  it('enable gives a secret and an otpauth URL; confirm turns 2FA on with ten backup codes', async () => {
    const u = await registerUser(app);
    const enabled = await api(app, 'POST', '/users/@me/mfa/totp/enable', { token: u.token });
    expect(enabled.body.otpauth_url).toMatch(/^otpauth:\/\/totp\/Plexichat:/);
    expect(enabled.body.otpauth_url).toContain(`secret=${enabled.body.secret}`);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body.mfa_enabled).toBe(false);
    const wrong = await api(app, 'POST', '/users/@me/mfa/totp/confirm', {
      token: u.token,
      body: { code: '000000' },
    });
    expect([wrong.status, wrong.body.code]).toEqual([400, 'invalid_code']);
    const ok = await api(app, 'POST', '/users/@me/mfa/totp/confirm', {
      token: u.token,
      body: { code: await totp(enabled.body.secret) },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.backup_codes).toHaveLength(10);
    expect(new Set(ok.body.backup_codes).size).toBe(10);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body.mfa_enabled).toBe(true);
    // The secret is encrypted at rest and backup codes are stored hashed.
    const row = await app.rt.models.User.findByPk(u.id, { rejectOnEmpty: true });
    expect(row.mfa_secret).toMatch(/^v1\./);
    expect(row.mfa_secret).not.toContain(enabled.body.secret);
    const codes = await app.rt.models.MfaBackupCode.findAll({ where: { user_id: u.id } });
    expect(codes.map((c) => c.code_hash.toString('utf8'))).not.toContain(ok.body.backup_codes[0]);
    expect((await api(app, 'POST', '/users/@me/mfa/totp/enable', { token: u.token })).status).toBe(409);
    const events = await app.rt.models.SecurityEvent.findAll({
      where: { user_id: u.id, type: 'mfa_enabled' },
    });
    expect(events).toHaveLength(1);
  });

  it('login answers a ticket; the ticket and a TOTP code give a token; the ticket is single-use', async () => {
    const u = await withMfa();
    const ticket = await ticketFor(u);
    // The next period's code works too (one step of drift either way).
    const res = await api(app, 'POST', '/auth/mfa/totp', {
      headers: xff(),
      body: { ticket, code: await totp(u.secret, 1) },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(u.id);
    expect((await api(app, 'GET', '/users/@me', { token: res.body.token })).status).toBe(200);
    const again = await api(app, 'POST', '/auth/mfa/totp', {
      headers: xff(),
      body: { ticket, code: await totp(u.secret, 1) },
    });
    expect([again.status, again.body.code]).toEqual([401, 'invalid_ticket']);
  });

  it('the code that confirmed 2FA signs in, and the code that signed in turns 2FA off', async () => {
    // What a client does in its first half-minute with 2FA: every step with the code on screen.
    const u = await registerUser(app);
    const enabled = await api(app, 'POST', '/users/@me/mfa/totp/enable', { token: u.token });
    const secret = enabled.body.secret as string;
    // Codes of one time step (a step that ends meanwhile would hand out the next code: wait it out).
    const stepLeft = 30 - (Math.floor(Date.now() / 1000) % 30);
    if (stepLeft < 5) await new Promise((resolve) => setTimeout(resolve, stepLeft * 1000 + 100));
    const code = await totp(secret);
    const confirm = await api(app, 'POST', '/users/@me/mfa/totp/confirm', { token: u.token, body: { code } });
    expect(confirm.status).toBe(200);
    const signIn = await api(app, 'POST', '/auth/mfa/totp', {
      headers: xff(),
      body: { ticket: await ticketFor(u), code },
    });
    expect(signIn.status).toBe(200);
    const off = await api(app, 'POST', '/users/@me/mfa/totp/disable', {
      token: signIn.body.token,
      body: { code },
    });
    expect(off.status).toBe(204);
    expect((await api(app, 'GET', '/users/@me', { token: u.token })).body.mfa_enabled).toBe(false);
  });

  it('a TOTP code cannot be replayed, even with a fresh ticket', async () => {
    const u = await withMfa();
    const code = await totp(u.secret, 1);
    const first = await api(app, 'POST', '/auth/mfa/totp', {
      headers: xff(),
      body: { ticket: await ticketFor(u), code },
    });
    expect(first.status).toBe(200);
    const replay = await api(app, 'POST', '/auth/mfa/totp', {
      headers: xff(),
      body: { ticket: await ticketFor(u), code },
    });
    expect([replay.status, replay.body.code]).toEqual([401, 'invalid_code']);
  });

  it('a backup code works once and is recorded', async () => {
    const u = await withMfa();
    const code = u.backupCodes[3] as string;
    const first = await api(app, 'POST', '/auth/mfa/totp', {
      headers: xff(),
      body: { ticket: await ticketFor(u), code },
    });
    expect(first.status).toBe(200);
    const reuse = await api(app, 'POST', '/auth/mfa/totp', {
      headers: xff(),
      body: { ticket: await ticketFor(u), code },
    });
    expect([reuse.status, reuse.body.code]).toEqual([401, 'invalid_code']);
    // Formatting does not matter: upper case and no dash.
    const other = (u.backupCodes[4] as string).toUpperCase().replace('-', '');
    expect(
      (
        await api(app, 'POST', '/auth/mfa/totp', {
          headers: xff(),
          body: { ticket: await ticketFor(u), code: other },
        })
      ).status,
    ).toBe(200);
    expect(
      await app.rt.models.SecurityEvent.count({ where: { user_id: u.id, type: 'backup_code_used' } }),
    ).toBe(2);
  });

  describe('concurrent sign-ins', () => {
    const finish = (ticket: string, code: string) =>
      api(app, 'POST', '/auth/mfa/totp', { headers: xff(), body: { ticket, code } });
    const usedCodes = (userId: string) =>
      app.rt.models.MfaBackupCode.count({ where: { user_id: userId, used_at: { [Op.ne]: null } } });

    it('with the same backup code: exactly one succeeds', async () => {
      const u = await withMfa();
      const code = u.backupCodes[0] as string;
      const tickets = [await ticketFor(u), await ticketFor(u)];
      const answers = await Promise.all(tickets.map((ticket) => finish(ticket, code)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
      expect(answers.find((a) => a.status === 401)?.body.code).toBe('invalid_code');
      expect(await usedCodes(u.id)).toBe(1);
      expect(await app.rt.models.Session.count({ where: { user_id: u.id } })).toBe(2); // registration's + one
    });

    it('with the same TOTP code: exactly one succeeds', async () => {
      const u = await withMfa();
      const code = await totp(u.secret, 1);
      const tickets = [await ticketFor(u), await ticketFor(u)];
      const answers = await Promise.all(tickets.map((ticket) => finish(ticket, code)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
      expect(answers.find((a) => a.status === 401)?.body.code).toBe('invalid_code');
    });

    it('on one ticket with different backup codes: one signs in, and only its code is spent', async () => {
      const u = await withMfa();
      const ticket = await ticketFor(u);
      const codes = u.backupCodes.slice(0, 4);
      const answers = await Promise.all(codes.map((code) => finish(ticket, code)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401]);
      for (const refused of answers.filter((a) => a.status === 401)) {
        expect(refused.body.code).toBe('invalid_ticket');
      }
      // The refused sign-ins spent nothing: their codes still work.
      expect(await usedCodes(u.id)).toBe(1);
      const spent = codes[answers.findIndex((a) => a.status === 200)] as string;
      for (const code of codes.filter((c) => c !== spent)) {
        expect((await finish(await ticketFor(u), code)).status).toBe(200);
      }
      expect(
        await app.rt.models.SecurityEvent.count({ where: { user_id: u.id, type: 'backup_code_used' } }),
      ).toBe(4);
    });
  });

  it('an unknown or expired ticket is 401', async () => {
    const u = await withMfa();
    expect(
      (
        await api(app, 'POST', '/auth/mfa/totp', {
          headers: xff(),
          body: { ticket: 'made-up', code: '123456' },
        })
      ).status,
    ).toBe(401);
    const ticket = await ticketFor(u);
    // Expire it the way time would.
    const keys = await app.rt.redis.keys(`${app.config.redis.key_prefix}:mfa_ticket:*`);
    await Promise.all(keys.map((k) => app.rt.redis.pexpire(k, 1)));
    await new Promise((r) => setTimeout(r, 20));
    const res = await api(app, 'POST', '/auth/mfa/totp', {
      headers: xff(),
      body: { ticket, code: await totp(u.secret, 1) },
    });
    expect([res.status, res.body.code]).toEqual([401, 'invalid_ticket']);
  });

  it('a ticket dies after five wrong codes; the account then refuses codes for the configured block', async () => {
    const u = await withMfa();
    const ticket = await ticketFor(u);
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      codes.push(
        (await api(app, 'POST', '/auth/mfa/totp', { headers: xff(), body: { ticket, code: '000000' } })).body
          .code,
      );
    }
    expect(codes).toEqual([...Array(5).fill('invalid_code'), 'invalid_ticket']);
    // A fresh ticket (the password is right) still meets the account's limit, even with the right code.
    const refused = await api(app, 'POST', '/auth/mfa/totp', {
      headers: xff(),
      body: { ticket: await ticketFor(u), code: await totp(u.secret) },
    });
    expect([refused.status, refused.body.retry_after]).toEqual([
      429,
      app.config.security.throttle.mfa_account.block_seconds,
    ]);
    const lockouts = await app.rt.models.SecurityEvent.count({ where: { user_id: u.id, type: 'lockout' } });
    expect(lockouts).toBe(1);
  });

  it('40 parallel wrong codes on one ticket: exactly five are judged, then the ticket is dead', async () => {
    const u = await withMfa();
    const ticket = await ticketFor(u);
    const all = await Promise.all(
      (await wrongCodes(u.secret, 40, 100000)).map((code) =>
        api(app, 'POST', '/auth/mfa/totp', { headers: xff(), body: { ticket, code } }),
      ),
    );
    const judged = all.filter((r) => r.body.code === 'invalid_code');
    expect(judged).toHaveLength(5);
    expect(all.every((r) => [401, 429].includes(r.status))).toBe(true);
    const failures = await app.rt.models.SecurityEvent.count({
      where: { user_id: u.id, type: 'mfa_failure' },
    });
    expect(failures).toBe(5);
    const after = await api(app, 'POST', '/auth/mfa/totp', {
      headers: xff(),
      body: { ticket, code: await totp(u.secret) },
    });
    expect([after.status, after.body.code]).toEqual([401, 'invalid_ticket']);
  });

  it('40 parallel wrong codes at confirm and disable: at most five are judged', async () => {
    const u = await withMfa();
    const all = await Promise.all(
      (await wrongCodes(u.secret, 40, 200000)).map((code) =>
        api(app, 'POST', '/users/@me/mfa/totp/disable', { token: u.token, body: { code } }),
      ),
    );
    expect(all.filter((r) => r.body.code === 'invalid_code')).toHaveLength(5);
    expect(all.filter((r) => r.status === 429)).toHaveLength(35);

    const fresh = await registerUser(app);
    const enabled = await api(app, 'POST', '/users/@me/mfa/totp/enable', { token: fresh.token });
    expect(enabled.status).toBe(200);
    const confirms = await Promise.all(
      (await wrongCodes(enabled.body.secret, 40, 300000)).map((code) =>
        api(app, 'POST', '/users/@me/mfa/totp/confirm', { token: fresh.token, body: { code } }),
      ),
    );
    expect(confirms.filter((r) => r.body.code === 'invalid_code')).toHaveLength(5);
  });

  it('disable needs a valid code, then login no longer asks for one', async () => {
    const u = await withMfa();
    const bad = await api(app, 'POST', '/users/@me/mfa/totp/disable', {
      token: u.token,
      body: { code: '111111' },
    });
    expect(bad.status).toBe(400);
    const ok = await api(app, 'POST', '/users/@me/mfa/totp/disable', {
      token: u.token,
      body: { code: u.backupCodes[0] },
    });
    expect(ok.status).toBe(204);
    const login = await api(app, 'POST', '/auth/login', {
      headers: xff(),
      body: { login: u.username, password: u.password },
    });
    expect(login.body.token).toEqual(expect.any(String));
    expect(await app.rt.models.MfaBackupCode.count({ where: { user_id: u.id } })).toBe(0);
    expect(await app.rt.models.SecurityEvent.count({ where: { user_id: u.id, type: 'mfa_disabled' } })).toBe(
      1,
    );
    expect(
      (await api(app, 'POST', '/users/@me/mfa/totp/disable', { token: u.token, body: { code: '123456' } }))
        .status,
    ).toBe(400);
  });
});
