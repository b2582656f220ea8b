import { Op } from 'sequelize';

/** API.md's page size when a request names none. */
export const DEFAULT_PAGE_LIMIT = 50;

/** A page request as API.md defines it: `limit` 1-100, `before` / `after` snowflake cursors. */
export interface PageQuery {
  limit: number;
  before?: string;
  after?: string;
}

/**
 * API.md's page of a list keyed by the snowflake column `key`, for findAll: keys below `before` and
 * above `after` (with both, strictly between), newest (largest) first with `before` or with neither,
 * oldest first with `after`.
 */
export function pageBy<K extends string>(key: K, page: PageQuery) {
  const bounds = {
    ...(page.before !== undefined ? { [Op.lt]: page.before } : {}),
    ...(page.after !== undefined ? { [Op.gt]: page.after } : {}),
  };
  const bounded = page.before !== undefined || page.after !== undefined;
  return {
    where: (bounded ? { [key]: bounds } : {}) as Partial<Record<K, typeof bounds>>,
    order: [[key, page.after !== undefined ? 'ASC' : 'DESC']] as [K, 'ASC' | 'DESC'][],
    limit: page.limit,
  };
}
