import pg from 'pg';

/** Creates the database named in `url` when the server has no database of that name yet. */
export async function ensureDatabase(url: string): Promise<'created' | 'exists'> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return 'exists';
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (err) {
      // Two processes racing to create it: the loser finds it there, which is what it wanted.
      if ((err as { code?: string }).code === '42P04') return 'exists';
      throw err;
    }
    return 'created';
  } finally {
    await client.end();
  }
}

/** True when a Postgres server answers at `url` (used to choose local vs embedded Postgres). */
export async function postgresAnswers(url: string, timeoutMs = 2000): Promise<boolean> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
