import Joi from 'joi';
import { REPORT_ACTIONS, REPORT_STATUSES } from '../../../shared/db/models/index.js';
import { pagination, snowflake } from '../common-schemas.js';

export const createReportBody = Joi.object({
  target_type: Joi.string().valid('user', 'message').required(),
  target_id: snowflake().required(),
  reason: Joi.string().trim().min(1).max(1000).required(),
  server_id: snowflake().description('user reports: the server it happened in (its moderators triage it)'),
});

export const reportsQuery = Joi.object({
  status: Joi.string().valid(...REPORT_STATUSES),
  ...pagination,
});

export const adminReportsQuery = reportsQuery.keys({ server_id: snowflake() });

export const serverReportParams = Joi.object({
  server_id: snowflake().required(),
  report_id: snowflake().required(),
});
export const reportParams = Joi.object({ report_id: snowflake().required() });

export const patchReportBody = Joi.object({
  status: Joi.string().valid(...REPORT_STATUSES),
  note: Joi.string().trim().min(1).max(2000).description('appended to the report’s notes'),
  action_taken: Joi.string()
    .valid(...REPORT_ACTIONS)
    .description('what was done (recorded; take the action itself through its own route)'),
})
  .or('status', 'note', 'action_taken')
  .messages({ 'object.missing': 'give at least one of status, note, action_taken' });

const note = Joi.object({
  author_id: Joi.string().required(),
  content: Joi.string().required(),
  created_at: Joi.number().integer().required(),
});

export const reportObject = Joi.object({
  id: Joi.string().required(),
  reporter_id: Joi.string().allow(null).required(),
  server_id: Joi.string().allow(null).required(),
  target_type: Joi.string().valid('user', 'message').required(),
  target_id: Joi.string().required(),
  target_user_id: Joi.string().required().description('the reported user, or the reported message’s author'),
  channel_id: Joi.string().allow(null).required(),
  reason: Joi.string().required(),
  snapshot: Joi.object()
    .required()
    .description('`{message, author}` or `{user, member?}` as they were when reported'),
  status: Joi.string()
    .valid(...REPORT_STATUSES)
    .required(),
  notes: Joi.array().items(note).required(),
  action_taken: Joi.string().allow(null).required(),
  resolved_by: Joi.string().allow(null).required(),
  resolved_at: Joi.number().integer().allow(null).required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'Report' });

export const ownReportObject = Joi.object({
  id: Joi.string().required(),
  server_id: Joi.string().allow(null).required(),
  target_type: Joi.string().valid('user', 'message').required(),
  target_id: Joi.string().required(),
  reason: Joi.string().required(),
  status: Joi.string()
    .valid(...REPORT_STATUSES)
    .required(),
  resolved_at: Joi.number().integer().allow(null).required(),
  created_at: Joi.number().integer().required(),
}).meta({ className: 'OwnReport' });
