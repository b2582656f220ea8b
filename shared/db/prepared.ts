import type { QueryResultRow } from 'pg';
import type { Sequelize } from 'sequelize';

/**
 * A named statement: Postgres parses and plans it once per pooled connection, later runs only bind
 * and execute it. For read paths hot enough that the ORM's query building and model instances
 * show in a profile; the ORM stays for everything else.
 */
export interface PreparedStatement<Row extends QueryResultRow> {
  readonly name: string;
  readonly text: string;
  /** Phantom: the row type the statement returns. */
  readonly row?: Row;
}

/** Declares a prepared statement; `name` must be unique in the process (pg keys its cache by it). */
export function prepared<Row extends QueryResultRow>(name: string, text: string): PreparedStatement<Row> {
  return { name, text };
}

/** The parts of a pg client a prepared statement needs. */
interface PgConnection {
  query<Row extends QueryResultRow>(config: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<{ rows: Row[] }>;
}

/**
 * Runs a prepared statement on a connection of Sequelize's pool, so it shares the pool's limits,
 * its type parsing (rows read exactly as the models read them) and its connection errors.
 */
export async function runPrepared<Row extends QueryResultRow>(
  sequelize: Sequelize,
  statement: PreparedStatement<Row>,
  values: unknown[],
  /** 'write' for a statement that changes rows (the pool of writes, should reads ever have their own). */
  type: 'read' | 'write' = 'read',
): Promise<Row[]> {
  const manager = sequelize.connectionManager;
  const connection = await manager.getConnection({ type });
  try {
    const result = await (connection as unknown as PgConnection).query<Row>({
      name: statement.name,
      text: statement.text,
      values,
    });
    return result.rows;
  } finally {
    manager.releaseConnection(connection);
  }
}

/**
 * The select list of a model's attributes (`"column" AS "attribute"` where they differ), in the
 * model's order: what the ORM's finders read, for a prepared statement that reads the same row.
 */
export function attributeList(
  model: { getAttributes(): Record<string, { field?: string }> },
  /** The table's alias in a join: columns read as `<alias>."column"`. */
  alias?: string,
): string {
  const column = (field: string) => (alias ? `${alias}."${field}"` : `"${field}"`);
  return Object.entries(model.getAttributes())
    .map(([name, a]) => (a.field && a.field !== name ? `${column(a.field)} AS "${name}"` : column(name)))
    .join(', ');
}
