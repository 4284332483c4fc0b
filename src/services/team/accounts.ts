/**
 * Team accounts: creating users, logging in and out, sessions and passwords.
 * - A session is an opaque 32-byte token in a cookie; only its SHA-256 is stored, so reading the database does
 *   not let anyone act as a user. It ends after 12 hours without use or 7 days after login, whichever is first.
 * - Lock-out: 5 wrong passwords in a row lock the account for 15 minutes. A wrong address and a wrong password
 *   get the same answer and take the same time, so logins do not reveal who has an account.
 * - Passwords are hashed outside the transaction: scrypt takes tens of milliseconds and must not hold SQLite's
 *   write lock.
 */
import crypto from 'node:crypto';
import type { ServiceContext } from '../../context.js';
import { DomainError } from '../../domain/errors.js';
import { checkPasswordStrength, isTeamRole, type TeamRole } from '../../domain/roles.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import {
  deleteExpiredSessions,
  deleteSession,
  deleteSessionsOfUser,
  findSession,
  findTeamMember,
  findUser,
  findUserByEmailIndex,
  insertSession,
  insertTeamMember,
  insertUser,
  listRolesOfUser,
  lockUser,
  touchSession,
  updateUser,
} from '../../storage/repositories/team.repository.js';
import { inTransaction } from '../../storage/transaction.js';
import { iso } from '../views.js';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from './password-hash.js';

export const maxFailedLogins = 5;
export const lockoutMs = 15 * 60_000;
export const sessionIdleMs = 12 * 3_600_000;
export const sessionLifetimeMs = 7 * 86_400_000;
/** lastSeenAt is written at most this often, so a busy dashboard does not write on every request. */
const touchIntervalMs = 60_000;

export interface UserView {
  id: string;
  email: string;
  name: string;
}

export interface SessionView {
  user: UserView;
  programs: { id: string; name: string; role: TeamRole }[];
  csrfToken: string;
}

/** A login refused because the account is locked; the route turns `retryAfterSeconds` into Retry-After. */
export class LoginLockedError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('login_locked', `Too many failed logins; try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`);
  }
}

export function normaliseUserEmail(email: string): string {
  return email.trim().toLowerCase();
}

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const sha256 = (value: string) => crypto.createHash('sha256').update(value).digest('hex');

export interface CreateUserInput {
  programId: string;
  email: string;
  name?: string;
  role: string;
  /** Without one, a password is generated and returned once. */
  password?: string;
}

export interface CreatedUser {
  member: TeamMemberView;
  /** Only for a new user without a chosen password: shown once, never stored in clear. */
  temporaryPassword: string | null;
}

export interface TeamMemberView {
  userId: string;
  email: string;
  name: string;
  role: TeamRole;
  createdAt: string;
}

/**
 * Gives a person a role in a programme, creating their user when the address is new. An existing user keeps
 * their password and name.
 * @throws DomainError program_not_found, validation_failed (/email, /role), weak_password (/password),
 *   team_member_exists
 */
export async function createUser(ctx: ServiceContext, input: CreateUserInput): Promise<CreatedUser> {
  const email = normaliseUserEmail(input.email);
  if (!emailPattern.test(email) || email.length > 254) throw DomainError.field('validation_failed', '/email', 'This is not an e-mail address.');
  if (!isTeamRole(input.role)) throw DomainError.field('validation_failed', '/role', 'A role is owner, manager, support or analyst.');
  const role = input.role;
  if (input.password !== undefined) checkPasswordStrength(input.password, '/password');
  const emailIndex = ctx.pii.blindIndex(email);
  const existing = await findUserByEmailIndex(ctx.storage.db, emailIndex);
  let temporaryPassword: string | null = null;
  let passwordHash: string | null = null;
  if (!existing) {
    // 16 characters of base64url: 96 random bits, well past the policy, and easy to paste.
    temporaryPassword = input.password === undefined ? crypto.randomBytes(12).toString('base64url') : null;
    passwordHash = await hashPassword(input.password ?? temporaryPassword ?? '');
  }
  return inTransaction(ctx.storage, async (trx) => {
    if (!(await findProgram(trx, input.programId))) throw new DomainError('program_not_found', `No programme ${input.programId}.`);
    const now = ctx.clock.now();
    let user = await findUserByEmailIndex(trx, emailIndex);
    if (!user) {
      user = {
        id: ctx.ids.next('usr'),
        emailCipher: ctx.pii.encrypt(email),
        emailIndex,
        name: input.name?.trim() || email.split('@')[0] || email,
        passwordHash: passwordHash ?? (await hashPassword(input.password ?? crypto.randomBytes(12).toString('base64url'))),
        failedLogins: 0,
        lockedUntil: null,
        createdAt: now,
        updatedAt: now,
      };
      await insertUser(trx, user);
    } else {
      temporaryPassword = null;
      if (await findTeamMember(trx, input.programId, user.id)) {
        throw DomainError.field('team_member_exists', '/email', `${email} already has a role in this programme.`);
      }
    }
    await insertTeamMember(trx, { programId: input.programId, userId: user.id, role, createdAt: now });
    return { member: { userId: user.id, email, name: user.name, role, createdAt: iso(now) }, temporaryPassword };
  });
}

/**
 * Checks an e-mail address and password and opens a session.
 * @throws DomainError invalid_credentials; LoginLockedError (login_locked) while the account is locked
 */
export async function login(ctx: ServiceContext, emailInput: string, password: string): Promise<{ token: string; session: SessionView }> {
  const email = normaliseUserEmail(emailInput);
  const found = await findUserByEmailIndex(ctx.storage.db, ctx.pii.blindIndex(email));
  const refused = () => new DomainError('invalid_credentials', 'The e-mail address or the password is wrong.');
  if (!found) {
    await verifyAgainstDecoy(password);
    throw refused();
  }
  const lockedFor = (lockedUntil: number | null, now: number) => (lockedUntil !== null && lockedUntil > now ? lockedUntil - now : 0);
  const early = lockedFor(found.lockedUntil, ctx.clock.now());
  if (early > 0) throw new LoginLockedError(Math.ceil(early / 1000));
  const matches = await verifyPassword(password, found.passwordHash);

  const outcome = await inTransaction(ctx.storage, async (trx): Promise<LoginOutcome> => {
    const now = ctx.clock.now();
    const user = await lockUser(trx, ctx.storage, found.id);
    if (!user) return { kind: 'refused' };
    // Re-checked under the lock: parallel guesses that all passed the early check must not get past the limit.
    const locked = lockedFor(user.lockedUntil, now);
    if (locked > 0) return { kind: 'locked', lockedMs: locked };
    if (!matches || user.passwordHash !== found.passwordHash) {
      const failures = user.failedLogins + 1;
      const lock = failures >= maxFailedLogins;
      // Locking restarts the count, so after the lock the user has the full number of attempts again.
      await updateUser(trx, user.id, { failedLogins: lock ? 0 : failures, lockedUntil: lock ? now + lockoutMs : null, updatedAt: now });
      return { kind: 'refused' };
    }
    await updateUser(trx, user.id, { failedLogins: 0, lockedUntil: null, updatedAt: now });
    await deleteExpiredSessions(trx, now);
    const token = crypto.randomBytes(32).toString('base64url');
    const csrfToken = crypto.randomBytes(32).toString('base64url');
    await insertSession(trx, { id: sha256(token), userId: user.id, csrfToken, createdAt: now, expiresAt: now + sessionLifetimeMs, lastSeenAt: now });
    const programs = await listRolesOfUser(trx, user.id);
    return { kind: 'ok', token, session: { user: { id: user.id, email, name: user.name }, programs, csrfToken } };
  });
  if (outcome.kind === 'locked') throw new LoginLockedError(Math.ceil(outcome.lockedMs / 1000));
  if (outcome.kind === 'refused') throw refused();
  return { token: outcome.token, session: outcome.session };
}

type LoginOutcome = { kind: 'refused' } | { kind: 'locked'; lockedMs: number } | { kind: 'ok'; token: string; session: SessionView };

export interface SessionPrincipal {
  sessionId: string;
  csrfToken: string;
  user: UserView;
}

/** The live session of a cookie token, or null when it is unknown or has expired (an expired one is removed). */
export async function authenticateSession(ctx: ServiceContext, token: string): Promise<SessionPrincipal | null> {
  if (token.length === 0 || token.length > 100) return null;
  const db = ctx.storage.db;
  const sessionId = sha256(token);
  const session = await findSession(db, sessionId);
  if (!session) return null;
  const now = ctx.clock.now();
  if (now >= session.expiresAt || now - session.lastSeenAt >= sessionIdleMs) {
    await deleteSession(db, sessionId);
    return null;
  }
  const user = await findUser(db, session.userId);
  if (!user) return null;
  if (now - session.lastSeenAt >= touchIntervalMs) await touchSession(db, sessionId, now);
  return { sessionId, csrfToken: session.csrfToken, user: { id: user.id, email: ctx.pii.decrypt(user.emailCipher), name: user.name } };
}

/** The role of a user in a programme, or null when they have none there. */
export async function roleOf(ctx: ServiceContext, userId: string, programId: string): Promise<TeamRole | null> {
  const member = await findTeamMember(ctx.storage.db, programId, userId);
  return member ? member.role : null;
}

/** What `GET /v1/auth/session` shows: the user, their programmes and roles, and the CSRF token. */
export async function sessionView(ctx: ServiceContext, principal: SessionPrincipal): Promise<SessionView> {
  const programs = await listRolesOfUser(ctx.storage.db, principal.user.id);
  return { user: principal.user, programs, csrfToken: principal.csrfToken };
}

export async function logout(ctx: ServiceContext, sessionId: string): Promise<void> {
  await inTransaction(ctx.storage, (trx) => deleteSession(trx, sessionId));
}

/**
 * Changes the signed-in user's password; their other sessions end, since a password change is what someone
 * does after suspecting their account was used.
 * @throws DomainError validation_failed (/currentPassword wrong), weak_password (/newPassword)
 */
export async function changePassword(ctx: ServiceContext, principal: SessionPrincipal, currentPassword: string, newPassword: string): Promise<void> {
  checkPasswordStrength(newPassword, '/newPassword');
  const user = await findUser(ctx.storage.db, principal.user.id);
  // A wrong current password is an input error, not a 401: the session itself is fine, and a 401 would make
  // the dashboard log the user out.
  if (!user || !(await verifyPassword(currentPassword, user.passwordHash))) {
    throw DomainError.field('validation_failed', '/currentPassword', 'The current password is wrong.');
  }
  const passwordHash = await hashPassword(newPassword);
  await inTransaction(ctx.storage, async (trx) => {
    await updateUser(trx, user.id, { passwordHash, failedLogins: 0, lockedUntil: null, updatedAt: ctx.clock.now() });
    await deleteSessionsOfUser(trx, user.id, principal.sessionId);
  });
}
