// Teams and users in SQLite.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Role } from '../../config/security-schema.ts';
import type { LimitsOverride } from '../key-store.ts';
import type { Quota } from '../../config/cost-schema.ts';
import {
  DuplicateNameError,
  newTeamId,
  newUserId,
  type DirectoryStore,
  type NewTeam,
  type NewUser,
  type TeamRecord,
  type UserRecord,
} from '../directory-store.ts';

interface TeamRow {
  id: string;
  name: string;
  attributes: string;
  limits: string | null;
  quota: string | null;
  created_at: number;
}

interface UserRow {
  id: string;
  subject: string;
  name: string;
  role: string;
  team_id: string | null;
  attributes: string;
  created_at: number;
  disabled_at: number | null;
}

const toTeam = (r: TeamRow): TeamRecord => ({
  id: r.id,
  name: r.name,
  attributes: JSON.parse(r.attributes) as Record<string, string>,
  limits: r.limits === null ? null : (JSON.parse(r.limits) as LimitsOverride),
  quota: r.quota === null ? null : (JSON.parse(r.quota) as Quota),
  createdAt: r.created_at,
});

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  subject: r.subject,
  name: r.name,
  role: r.role as Role,
  teamId: r.team_id,
  attributes: JSON.parse(r.attributes) as Record<string, string>,
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
});

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error && /UNIQUE constraint failed/.test(err.message);
}

export class SqliteDirectoryStore implements DirectoryStore {
  readonly #insertTeam: StatementSync;
  readonly #listTeams: StatementSync;
  readonly #team: StatementSync;
  readonly #setTeamQuota: StatementSync;
  readonly #insertUser: StatementSync;
  readonly #listUsers: StatementSync;
  readonly #user: StatementSync;
  readonly #disableUser: StatementSync;

  constructor(db: DatabaseSync) {
    this.#insertTeam = db.prepare('INSERT INTO teams (id, name, attributes, limits, quota, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#setTeamQuota = db.prepare('UPDATE teams SET quota = ? WHERE id = ? OR name = ?');
    this.#listTeams = db.prepare('SELECT * FROM teams ORDER BY created_at, rowid');
    this.#team = db.prepare('SELECT * FROM teams WHERE id = ? OR name = ?');
    this.#insertUser = db.prepare('INSERT INTO users (id, subject, name, role, team_id, attributes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#listUsers = db.prepare('SELECT * FROM users ORDER BY created_at, rowid');
    this.#user = db.prepare('SELECT * FROM users WHERE id = ? OR subject = ?');
    this.#disableUser = db.prepare('UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL');
  }

  async createTeam(input: NewTeam): Promise<TeamRecord> {
    const team: TeamRecord = { id: newTeamId(), name: input.name, attributes: input.attributes ?? {}, limits: input.limits ?? null, quota: input.quota ?? null, createdAt: Date.now() };
    const json = (v: object | null): string | null => (v === null ? null : JSON.stringify(v));
    try {
      this.#insertTeam.run(team.id, team.name, JSON.stringify(team.attributes), json(team.limits), json(team.quota), team.createdAt);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateNameError(`a team named "${input.name}" already exists`);
      throw err;
    }
    return team;
  }

  async listTeams(): Promise<TeamRecord[]> {
    return (this.#listTeams.all() as unknown as TeamRow[]).map(toTeam);
  }

  async setTeamQuota(idOrName: string, quota: Quota | null): Promise<boolean> {
    return Number(this.#setTeamQuota.run(quota === null ? null : JSON.stringify(quota), idOrName, idOrName).changes) > 0;
  }

  async team(idOrName: string): Promise<TeamRecord | undefined> {
    const row = this.#team.get(idOrName, idOrName) as TeamRow | undefined;
    return row && toTeam(row);
  }

  async createUser(input: NewUser): Promise<UserRecord> {
    const user: UserRecord = {
      id: newUserId(),
      subject: input.subject,
      name: input.name ?? input.subject,
      role: input.role,
      teamId: input.teamId ?? null,
      attributes: input.attributes ?? {},
      createdAt: Date.now(),
      disabledAt: null,
    };
    try {
      this.#insertUser.run(user.id, user.subject, user.name, user.role, user.teamId, JSON.stringify(user.attributes), user.createdAt);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateNameError(`a user with subject "${input.subject}" already exists`);
      throw err;
    }
    return user;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (this.#listUsers.all() as unknown as UserRow[]).map(toUser);
  }

  async user(idOrSubject: string): Promise<UserRecord | undefined> {
    const row = this.#user.get(idOrSubject, idOrSubject) as UserRow | undefined;
    return row && toUser(row);
  }

  async disableUser(id: string): Promise<boolean> {
    return Number(this.#disableUser.run(Date.now(), id).changes) > 0;
  }
}
