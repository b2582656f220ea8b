import { Op } from 'sequelize';

/** API.md's page size when a request names none. */
export const DEFAULT_PAGE_LIMIT = 50;

/** A page request as API.md defines it: `limit` 1-100, `before` / `after` snowflake cursors. */
export interface PageQuery {
  limit: number;
  before?: string;
  after?: string;
}

/** A page's order: oldest first with `after`, newest first with `before`, else `unbounded`. */
export function pageOrder(page: Pick<PageQuery, 'before' | 'after'>, unbounded: 'ASC' | 'DESC' = 'DESC') {
  return page.after !== undefined ? 'ASC' : page.before !== undefined ? 'DESC' : unbounded;
}

/**
 * API.md's page of a list keyed by the snowflake column `key`, for findAll: keys below `before` and
 * above `after` (with both, strictly between), newest (largest) first with `before` or with neither,
 * oldest first with `after`. `unbounded` is the order with neither, for the lists API.md reads
 * forward from the start (members and bans, by user id with `after` only: 'ASC').
 */
export function pageBy<K extends string>(key: K, page: PageQuery, unbounded: 'ASC' | 'DESC' = 'DESC') {
  const bounds = {
    ...(page.before !== undefined ? { [Op.lt]: page.before } : {}),
    ...(page.after !== undefined ? { [Op.gt]: page.after } : {}),
  };
  const bounded = page.before !== undefined || page.after !== undefined;
  return {
    where: (bounded ? { [key]: bounds } : {}) as Partial<Record<K, typeof bounds>>,
    order: [[key, pageOrder(page, unbounded)]] as [K, 'ASC' | 'DESC'][],
    limit: page.limit,
  };
}

/**
 * pageBy for a statement written in SQL: the bounds on `column` as conditions to AND in, each value
 * placed by `param` (which binds it, as a positional or a named parameter, and answers its
 * placeholder, so the statement stays parameterized), and the ORDER BY direction. The limit is the
 * caller's to bind.
 */
export function pageSql(
  column: string,
  page: Pick<PageQuery, 'before' | 'after'>,
  param: (value: string, name: 'before' | 'after') => string,
  unbounded: 'ASC' | 'DESC' = 'DESC',
): { conditions: string[]; order: 'ASC' | 'DESC' } {
  const conditions: string[] = [];
  if (page.before !== undefined) conditions.push(`${column} < ${param(page.before, 'before')}`);
  if (page.after !== undefined) conditions.push(`${column} > ${param(page.after, 'after')}`);
  return { conditions, order: pageOrder(page, unbounded) };
}

/** True when a request names any of `limit`, `before` or `after`: a whole-by-default list then pages. */
export function asksForPage(query: Partial<PageQuery>): boolean {
  return query.limit !== undefined || query.before !== undefined || query.after !== undefined;
}

/**
 * A list computed whole in memory that pages only when asked (roles, a member's visible channels:
 * position-ordered lists answered whole by default, README Decisions): with none of `limit`, `before`
 * and `after` the items as they are, else the same page as pageBy, by `key` of each item.
 */
export function wholeOrPage<T>(
  items: readonly T[],
  key: (item: T) => string,
  query: Partial<PageQuery>,
): T[] {
  if (!asksForPage(query)) return [...items];
  const id = (item: T) => BigInt(key(item));
  const before = query.before !== undefined ? BigInt(query.before) : null;
  const after = query.after !== undefined ? BigInt(query.after) : null;
  const sign = after !== null ? 1 : -1;
  return items
    .filter((item) => (before === null || id(item) < before) && (after === null || id(item) > after))
    .sort((a, b) => (id(a) < id(b) ? -sign : id(a) > id(b) ? sign : 0))
    .slice(0, query.limit ?? DEFAULT_PAGE_LIMIT);
}
