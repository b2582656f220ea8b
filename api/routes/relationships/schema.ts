import Joi from 'joi';
import { RELATIONSHIP_STATUSES } from '../../../shared/db/models/index.js';
import { snowflake, userObject } from '../common-schemas.js';

export const relationshipParams = Joi.object({ user_id: snowflake().required() });

export const putRelationshipBody = Joi.object({
  status: Joi.string()
    .valid('friend', 'blocked')
    .required()
    .description('`friend` sends a friend request (or accepts one); `blocked` blocks the user'),
});

/** One relationship from the caller's side; `id` is the other user's id. */
export const relationshipObject = Joi.object({
  id: Joi.string().required(),
  user: userObject.required(),
  status: Joi.string()
    .valid(...RELATIONSHIP_STATUSES)
    .required(),
}).meta({ className: 'Relationship' });
