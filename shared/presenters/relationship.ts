import type { Config } from '../config/index.js';
import type { Attributes, RelationshipStatus } from '../db/models/index.js';
import type { RelationshipObject } from './types.js';
import { presentUser } from './user.js';

/** A relationship as its owner sees it: the other user and the status from the owner's side. */
export function presentRelationship(
  config: Pick<Config, 'server'>,
  other: Attributes<'User'>,
  status: RelationshipStatus,
): RelationshipObject {
  return { id: other.id, user: presentUser(config, other), status };
}
