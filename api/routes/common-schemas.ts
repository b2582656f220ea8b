import Joi from 'joi';
import { DEFAULT_PAGE_LIMIT } from '../../shared/pagination.js';
import { snowflakeSchema } from '../../shared/snowflake-schema.js';

/** A snowflake ID in a path, query or body: a decimal string from 0 to 2^63-1. */
export const snowflake = snowflakeSchema;

/** Usernames: 2-64 characters of letters, digits, `_`, `.` and `-`; unique regardless of case. */
export const username = () =>
  Joi.string()
    .min(2)
    .max(64)
    .pattern(/^[A-Za-z0-9_.-]+$/)
    .message('{{#label}} may contain only letters, digits, "_", "." and "-"')
    .pattern(/^\.+$/, { invert: true })
    .message('{{#label}} cannot be only dots');

/**
 * Passwords: 8-128 characters and nothing else (README Decisions, "Passwords"): the sign-in
 * throttles, not a composition rule, are what stop guessing.
 */
export const password = () => Joi.string().min(8).max(128);

/** Email addresses (no TLD list: self-hosted instances use internal domains). */
export const email = () => Joi.string().email({ tlds: false }).max(254);

/** The public user object. */
export const userObject = Joi.object({
  id: Joi.string().required(),
  username: Joi.string().required(),
  avatar_url: Joi.string().allow(null).required(),
  created_at: Joi.number().integer().required(),
  bot: Joi.boolean().valid(true).description('present (true) only for bot users'),
  deleted: Joi.boolean()
    .valid(true)
    .description('present (true) only for a deleted account’s placeholder (`deleted_user_<id>`)'),
}).meta({ className: 'User' });

/** The caller's own user object. */
export const selfUserObject = userObject
  .keys({
    email: Joi.string().allow(null).required(),
    mfa_enabled: Joi.boolean().required(),
    bot: Joi.boolean().required(),
    admin: Joi.boolean().required(),
    verified: Joi.boolean().required().description('whether `email` was verified through a mailed link'),
  })
  .meta({ className: 'SelfUser' });

const pageLimit = Joi.number().integer().min(1).max(100);

/** `limit` / `before` / `after` as API.md defines them. */
export const pagination = {
  limit: pageLimit.default(DEFAULT_PAGE_LIMIT),
  before: snowflake(),
  after: snowflake(),
};

/** A query of nothing but the page: limit, before and after. */
export const pageQuery = Joi.object(pagination);

/** The 400 a paged list declares: its page parameters are all it validates. */
export const badPageResponse = { description: 'A bad `limit`, `before` or `after`, named' };

/**
 * The same parameters for the position-ordered lists answered whole when none is given (roles, a
 * server's channels: README Decisions); `limit` has no default, so the handler can tell.
 */
export const wholeListQuery = Joi.object({
  ...pagination,
  limit: pageLimit.description(
    `1-100; with any of limit, before or after the answer is one page by id (default ${DEFAULT_PAGE_LIMIT}), else the whole list`,
  ),
});
