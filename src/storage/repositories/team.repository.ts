/**
 * Users, their roles per programme, sessions and the audit log. Users are global (one person may work for
 * several programmes), so user and session functions take no programme; team, API key and audit functions
 * filter on `program_id` like every other repository.
 */
import type { Insertable, Updateable } from 'kysely';
import type { Storage } from '../db.js';
import type { AuditLogTable, SessionsTable, TeamMembersTable, TeamRoleName, UsersTable } from '../team.schema.js';
import type { Trx } from '../transaction.js';

export async function insertUser(trx: Trx, user: Insertable<UsersTable>): Promise<void> {
  await trx.insertInto('users').values(user).execute();
}

export async function findUser(db: Trx, userId: string) {
  return db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
}

export async function findUserByEmailIndex(db: Trx, emailIndex: string) {
  return db.selectFrom('users').selectAll().where('emailIndex', '=', emailIndex).executeTakeFirst();
}

/** The user's row under a lock, so concurrent failed logins each count (BEGIN IMMEDIATE does it on SQLite). */
export async function lockUser(trx: Trx, storage: Storage, userId: string) {
  let query = trx.selectFrom('users').selectAll().where('id', '=', userId);
  if (storage.dialect === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function updateUser(trx: Trx, userId: string, changes: Updateable<UsersTable>): Promise<void> {
  await trx.updateTable('users').set(changes).where('id', '=', userId).execute();
}

export async function insertTeamMember(trx: Trx, member: Insertable<TeamMembersTable>): Promise<void> {
  await trx.insertInto('teamMembers').values(member).execute();
}

export async function findTeamMember(db: Trx, programId: string, userId: string) {
  return db.selectFrom('teamMembers').selectAll().where('programId', '=', programId).where('userId', '=', userId).executeTakeFirst();
}

/** The programme's team with each user's encrypted address and name, oldest member first. */
export async function listTeamMembers(db: Trx, programId: string) {
  return db
    .selectFrom('teamMembers')
    .innerJoin('users', 'users.id', 'teamMembers.userId')
    .select(['teamMembers.userId', 'teamMembers.role', 'teamMembers.createdAt', 'users.emailCipher', 'users.name'])
    .where('teamMembers.programId', '=', programId)
    .orderBy('teamMembers.createdAt')
    .orderBy('teamMembers.userId')
    .execute();
}

/**
 * The programme's owners, locked: two owners demoting each other at once must not leave the programme without
 * one. On PostgreSQL the second waits and re-reads the row the first changed.
 */
export async function lockOwners(trx: Trx, storage: Storage, programId: string) {
  let query = trx.selectFrom('teamMembers').select('userId').where('programId', '=', programId).where('role', '=', 'owner');
  if (storage.dialect === 'postgres') query = query.forUpdate();
  return query.execute();
}

export async function updateTeamRole(trx: Trx, programId: string, userId: string, role: TeamRoleName): Promise<void> {
  await trx.updateTable('teamMembers').set({ role }).where('programId', '=', programId).where('userId', '=', userId).execute();
}

export async function deleteTeamMember(trx: Trx, programId: string, userId: string): Promise<void> {
  await trx.deleteFrom('teamMembers').where('programId', '=', programId).where('userId', '=', userId).execute();
}

/** The programmes a user has a role in, with their names. */
export async function listRolesOfUser(db: Trx, userId: string) {
  return db
    .selectFrom('teamMembers')
    .innerJoin('programs', 'programs.id', 'teamMembers.programId')
    .select(['programs.id', 'programs.name', 'teamMembers.role'])
    .where('teamMembers.userId', '=', userId)
    .orderBy('programs.id')
    .execute();
}

export async function insertSession(trx: Trx, session: Insertable<SessionsTable>): Promise<void> {
  await trx.insertInto('sessions').values(session).execute();
}

export async function findSession(db: Trx, sessionId: string) {
  return db.selectFrom('sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
}

export async function touchSession(db: Trx, sessionId: string, lastSeenAt: number): Promise<void> {
  await db.updateTable('sessions').set({ lastSeenAt }).where('id', '=', sessionId).execute();
}

export async function deleteSession(db: Trx, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

/** Ends a user's sessions but `keep` (the one that changed the password), or all when `keep` is null. */
export async function deleteSessionsOfUser(trx: Trx, userId: string, keep: string | null): Promise<void> {
  let query = trx.deleteFrom('sessions').where('userId', '=', userId);
  if (keep !== null) query = query.where('id', '!=', keep);
  await query.execute();
}

/** Sessions past their absolute end, removed as users log in so the table does not grow without bound. */
export async function deleteExpiredSessions(trx: Trx, now: number): Promise<void> {
  await trx.deleteFrom('sessions').where('expiresAt', '<=', now).execute();
}

export async function listApiKeys(db: Trx, programId: string) {
  return db.selectFrom('apiKeys').selectAll().where('programId', '=', programId).orderBy('id', 'desc').execute();
}

export async function findApiKey(db: Trx, programId: string, keyId: string) {
  return db.selectFrom('apiKeys').selectAll().where('programId', '=', programId).where('id', '=', keyId).executeTakeFirst();
}

export async function findApiKeyById(db: Trx, keyId: string) {
  return db.selectFrom('apiKeys').selectAll().where('id', '=', keyId).executeTakeFirst();
}

export async function revokeApiKeyRow(trx: Trx, programId: string, keyId: string, now: number): Promise<void> {
  await trx
    .updateTable('apiKeys')
    .set({ revokedAt: now })
    .where('programId', '=', programId)
    .where('id', '=', keyId)
    .where('revokedAt', 'is', null)
    .execute();
}

export async function insertAuditEntry(db: Trx, entry: Insertable<AuditLogTable>): Promise<void> {
  await db.insertInto('auditLog').values(entry).execute();
}

/** The programme's audit log, newest first; `before` is the last id of the previous page. */
export async function listAuditEntries(db: Trx, programId: string, before: string | null, limit: number) {
  let query = db.selectFrom('auditLog').selectAll().where('programId', '=', programId);
  if (before !== null) query = query.where('id', '<', before);
  return query.orderBy('id', 'desc').limit(limit).execute();
}
