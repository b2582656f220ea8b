import Joi from 'joi';

const checkStatus = Joi.string().valid('ok', 'error').required();

const checkDetails = Joi.object({
  status: Joi.string().valid('ok', 'error').required(),
  latency_ms: Joi.number().integer().required(),
  error: Joi.string(),
  details: Joi.object().unknown(true),
}).meta({ className: 'HealthCheckDetails' });

/** Body of GET /health (200 and 503 alike). */
export const healthResponse = Joi.object({
  status: Joi.string().valid('ok', 'unavailable').required(),
  version: Joi.string().required().example('a.1.0-1'),
  checks: Joi.object({
    database: checkStatus,
    redis: checkStatus,
    queues: checkStatus,
    storage: checkStatus,
  }).required(),
  details: Joi.object({
    database: checkDetails,
    redis: checkDetails,
    queues: checkDetails,
    storage: checkDetails,
  }).required(),
  code: Joi.string().description('service_unavailable on 503'),
  message: Joi.string().description('names the failing checks on 503'),
  failing: Joi.array().items(Joi.string()).description('the failing checks, on 503'),
}).meta({ className: 'Health' });

/** Body of GET /ready. */
export const readyResponse = Joi.object({
  status: Joi.string().valid('ready', 'not_ready').required(),
}).meta({ className: 'Ready' });
