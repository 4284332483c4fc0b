/**
 * A programme's team: who has which role. A programme always keeps at least one owner, since only owners can
 * manage the team, the API keys and the audit log.
 */
import type { ServiceContext } from '../../context.js';
import { DomainError } from '../../domain/errors.js';
import type { TeamRole } from '../../domain/roles.js';
import { deleteTeamMember, findTeamMember, findUser, listTeamMembers, lockOwners, updateTeamRole } from '../../storage/repositories/team.repository.js';
import { inTransaction, type Trx } from '../../storage/transaction.js';
import { iso } from '../views.js';
import type { TeamMemberView } from './accounts.js';

export async function listTeam(ctx: ServiceContext, programId: string): Promise<{ data: TeamMemberView[] }> {
  const rows = await listTeamMembers(ctx.storage.db, programId);
  return {
    data: rows.map((row) => ({ userId: row.userId, email: ctx.pii.decrypt(row.emailCipher), name: row.name, role: row.role, createdAt: iso(row.createdAt) })),
  };
}

export async function getTeamMember(ctx: ServiceContext, programId: string, userId: string): Promise<TeamMemberView> {
  return readMember(ctx, ctx.storage.db, programId, userId);
}

async function readMember(ctx: ServiceContext, db: Trx, programId: string, userId: string): Promise<TeamMemberView> {
  const member = await findTeamMember(db, programId, userId);
  const user = member ? await findUser(db, userId) : undefined;
  if (!member || !user) throw new DomainError('user_not_found', `No team member ${userId} in this programme.`);
  return { userId, email: ctx.pii.decrypt(user.emailCipher), name: user.name, role: member.role, createdAt: iso(member.createdAt) };
}

/** @throws DomainError user_not_found, last_owner (demoting the only owner) */
export async function changeTeamRole(ctx: ServiceContext, programId: string, userId: string, role: TeamRole): Promise<TeamMemberView> {
  return inTransaction(ctx.storage, async (trx) => {
    const owners = await lockOwners(trx, ctx.storage, programId);
    const member = await readMember(ctx, trx, programId, userId);
    if (member.role === 'owner' && role !== 'owner' && owners.length <= 1) {
      throw new DomainError('last_owner', 'This is the programme’s only owner; make someone else owner first.');
    }
    await updateTeamRole(trx, programId, userId, role);
    return { ...member, role };
  });
}

/** Takes a user's role in the programme away (the user keeps their account). @throws user_not_found, last_owner */
export async function removeTeamMember(ctx: ServiceContext, programId: string, userId: string): Promise<void> {
  await inTransaction(ctx.storage, async (trx) => {
    const owners = await lockOwners(trx, ctx.storage, programId);
    const member = await readMember(ctx, trx, programId, userId);
    if (member.role === 'owner' && owners.length <= 1) {
      throw new DomainError('last_owner', 'This is the programme’s only owner; make someone else owner first.');
    }
    await deleteTeamMember(trx, programId, userId);
  });
}
