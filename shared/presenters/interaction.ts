import type { CommandOptionType } from '../db/models/index.js';
import type { MemberObject, RoleObject } from './role.js';
import type { ChannelObject, UserObject } from './types.js';

/** One option as the invoking user gave it, checked against the command's definition. */
export interface InteractionOption {
  name: string;
  type: CommandOptionType;
  /** user, channel and role options: the id (its object is in `resolved`). */
  value: string | number | boolean;
}

/** The objects that user, channel and role options name, keyed by id. */
export interface ResolvedObjects {
  users: Record<string, UserObject>;
  members: Record<string, MemberObject>;
  channels: Record<string, ChannelObject>;
  roles: Record<string, RoleObject>;
}

/** What an application receives when a user invokes one of its slash commands. */
export interface InteractionObject {
  id: string;
  application_id: string;
  type: 'command';
  /** The credential of the callback, follow-up and edit routes: shown only to the application. */
  token: string;
  data: {
    /** The command's id. */
    id: string;
    name: string;
    options: InteractionOption[];
    resolved: ResolvedObjects;
  };
  server_id: string;
  channel_id: string;
  /** The invoking user as a member of the server. */
  member: MemberObject;
  user: UserObject;
  created_at: number;
  /** Unix milliseconds by which the first answer (message or deferred) must arrive. */
  respond_by: number;
}
