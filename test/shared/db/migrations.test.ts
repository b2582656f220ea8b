import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { migrations } from '../../../migrations/index.js';
import { createRuntime } from '../../../shared/runtime.js';
import { testConfig } from '../../helpers/config.js';
import { TEST_DATABASE_URL } from '../../helpers/env.js';
import { ROOT } from '../../helpers/processes.js';

describe('migrations', () => {
  it('every migration file is registered, in order', () => {
    const files = fs
      .readdirSync(path.join(ROOT, 'migrations'))
      .filter((f) => /^\d{4}-.*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(migrations.map((m) => m.name)).toEqual(files);
  });

  it('creates the seed tables with bigint ids', async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_name: string; data_type: string }>(
        `SELECT table_name, data_type FROM information_schema.columns
          WHERE table_schema = 'public' AND column_name = 'id' ORDER BY table_name`,
      );
      const idTypes = Object.fromEntries(rows.map((r) => [r.table_name, r.data_type]));
      for (const table of ['users', 'sessions', 'servers', 'channels', 'roles', 'messages']) {
        expect([table, idTypes[table]]).toEqual([table, 'bigint']);
      }
      const members = await client.query(
        `SELECT 1 FROM information_schema.tables WHERE table_name = 'members'`,
      );
      expect(members.rowCount).toBe(1);
    } finally {
      await client.end();
    }
  });

  describe('a database whose migrations are behind', () => {
    const name = `plexichat_behind_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new URL(TEST_DATABASE_URL);
    admin.pathname = '/postgres';
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${name}`;

    beforeAll(async () => {
      const client = new pg.Client({ connectionString: admin.toString() });
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`);
      await client.end();
    });
    afterAll(async () => {
      const client = new pg.Client({ connectionString: admin.toString() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    });

    it('is refused at boot with a message saying how far behind and what to run', async () => {
      const config = testConfig({ database: { url: url.toString() } });
      await expect(createRuntime(config, 'test')).rejects.toThrow(
        new RegExp(`${migrations.length} migration\\(s\\) behind.*npm run migrate`),
      );
    });
  });
});
