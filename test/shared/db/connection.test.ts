import type pg from 'pg';
import type { Sequelize } from 'sequelize';
import { createLogger } from '../../../shared/logger.js';
import { TEST_DATABASE_URL } from '../../helpers/env.js';
import { smallSequelize } from '../../helpers/services.js';

/** The parts of Sequelize's connection manager its pool uses to hand out connections. */
interface ConnectionManager {
  lib: { Client: new (config: { connectionString: string }) => pg.Client };
  validate(connection: unknown): boolean;
  getConnection(): Promise<pg.Client>;
  releaseConnection(connection: unknown): void;
}

describe('the Postgres connection pool', () => {
  let sequelize: Sequelize;
  const manager = () => sequelize.connectionManager as unknown as ConnectionManager;
  beforeAll(() => {
    sequelize = smallSequelize(
      TEST_DATABASE_URL,
      createLogger({ log: { level: 'warn', pretty: false } }, 'test'),
    );
  });
  afterAll(() => sequelize.close());

  it("survives a connection's error before Sequelize listens for it, and never hands that connection out", async () => {
    // A client as the pool makes one, before Sequelize has attached its own listener.
    const client = new (manager().lib.Client)({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      // What pg does when Postgres terminates the connection: without a listener this throws.
      expect(() =>
        client.emit('error', new Error('terminating connection due to administrator command')),
      ).not.toThrow();
      expect(manager().validate(client)).toBe(false);
    } finally {
      await client.end();
    }
  });

  it('still hands out working connections', async () => {
    const connection = await manager().getConnection();
    try {
      expect(manager().validate(connection)).toBe(true);
      expect((await connection.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      manager().releaseConnection(connection);
    }
  });
});
