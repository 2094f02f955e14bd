// Teams and users: the organisation's structure that keys and identities belong to. (One organisation per gateway;
// teams are its tenants.) Changes bump the same version counter as keys, so a running gateway follows them.
import { randomBytes } from 'node:crypto';
import type { Attributes, Role } from '../config/security-schema.ts';
import type { LimitsOverride } from './key-store.ts';
import type { Quota } from '../config/cost-schema.ts';

export interface TeamRecord {
  readonly id: string;
  readonly name: string;
  readonly attributes: Readonly<Attributes>;
  readonly limits: LimitsOverride | null;
  /** The team's budget and rate limits (over all its keys and users); null: the config's, if any. */
  readonly quota: Quota | null;
  readonly createdAt: number;
}

export interface NewTeam {
  name: string;
  attributes?: Readonly<Attributes>;
  limits?: LimitsOverride | null;
  quota?: Quota | null;
}

/** A person or service that signs in with the identity provider; `subject` is the token's `sub`. */
export interface UserRecord {
  readonly id: string;
  readonly subject: string;
  readonly name: string;
  readonly role: Role;
  readonly teamId: string | null;
  readonly attributes: Readonly<Attributes>;
  readonly createdAt: number;
  readonly disabledAt: number | null;
}

export interface NewUser {
  subject: string;
  name?: string;
  role: Role;
  teamId?: string | null;
  attributes?: Readonly<Attributes>;
}

export class DuplicateNameError extends Error {}

export interface DirectoryStore {
  /** Throws DuplicateNameError when the name is taken. */
  createTeam(input: NewTeam): Promise<TeamRecord>;
  listTeams(): Promise<TeamRecord[]>;
  /** Sets (or with null clears) a team's quota, by id or name; false when there is no such team. */
  setTeamQuota(idOrName: string, quota: Quota | null): Promise<boolean>;
  /** By id or by name. */
  team(idOrName: string): Promise<TeamRecord | undefined>;
  /** Throws DuplicateNameError when the subject is taken. */
  createUser(input: NewUser): Promise<UserRecord>;
  listUsers(): Promise<UserRecord[]>;
  /** By id or by subject. */
  user(idOrSubject: string): Promise<UserRecord | undefined>;
  disableUser(id: string): Promise<boolean>;
}

export function newTeamId(): string {
  return `team_${randomBytes(6).toString('hex')}`;
}

export function newUserId(): string {
  return `user_${randomBytes(6).toString('hex')}`;
}
