import { setTimeout as sleep } from 'node:timers/promises';
import { QueryTypes } from 'sequelize';
import { api, randomIp, registerUser } from '../../../helpers/accounts.js';
import { useTestApp } from '../../../helpers/app.js';

/**
 * signIn (shared/domain/accounts/sign-in.ts) opens a session only for an account that is not
 * disabled when the session row commits: a login whose password was checked while an admin's
 * disabling was still open waits for it and is refused, rather than signing in after the
 * revocation of every session.
 */
const app = useTestApp({ workers: false, gateway: false });

/**
 * Resolves once a statement of this database waits for a row lock on users taken FOR SHARE, or
 * after 250 looks without one (then the login did not wait, and the assertions say so).
 */
async function loginWaitingForLock(): Promise<void> {
  for (let look = 0; look < 250; look++) {
    const [row] = await app.rt.sequelize.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'
          AND query ILIKE '%FROM "users"%FOR SHARE%'`,
      { type: QueryTypes.SELECT },
    );
    if (Number(row?.n) > 0) return;
    // Polling for a state, not a timing assertion: the login gets there after its scrypt check.
    await sleep(20);
  }
}

describe('signIn', () => {
  it('a login racing an admin’s disabling of the account is refused, and opens no session', async () => {
    const u = await registerUser(app);
    const sessionsBefore = await app.rt.models.Session.count({ where: { user_id: u.id } });
    const disabling = await app.rt.sequelize.transaction();
    try {
      // What operatorSetDisabled does first: the row locked for update, the flag set, not yet committed.
      await app.rt.models.User.findByPk(u.id, { transaction: disabling, lock: disabling.LOCK.UPDATE });
      await app.rt.models.User.update(
        { disabled_at: new Date() },
        { where: { id: u.id }, transaction: disabling },
      );
      const login = api(app, 'POST', '/auth/login', {
        body: { login: u.username, password: u.password },
        headers: { 'x-forwarded-for': randomIp() },
      });
      await loginWaitingForLock();
      await disabling.commit();
      const res = await login;
      expect([res.status, res.body.code]).toEqual([403, 'account_disabled']);
    } catch (err) {
      if (!(disabling as unknown as { finished?: string }).finished) await disabling.rollback();
      throw err;
    }
    expect(await app.rt.models.Session.count({ where: { user_id: u.id } })).toBe(sessionsBefore);
  });
});
