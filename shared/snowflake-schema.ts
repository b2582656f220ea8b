import Joi from 'joi';
import { isSnowflake } from './snowflake.js';

/**
 * The one schema for a client-supplied ID (REST path, query and body, gateway and voice commands):
 * a decimal string from 0 to 2^63-1, so nothing out of a bigint column's range reaches Postgres.
 */
export const snowflakeSchema = (): Joi.StringSchema =>
  Joi.string()
    .pattern(/^\d{1,19}$/)
    .custom((value: string, helpers) => (isSnowflake(value) ? value : helpers.error('snowflake.range')))
    .messages({
      'string.pattern.base': '{{#label}} must be a snowflake ID (a decimal string)',
      'snowflake.range': '{{#label}} must be a snowflake ID (at most 9223372036854775807)',
    });
