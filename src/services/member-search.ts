/**
 * Writing the name search terms of members enrolled before names were searchable (migration 0013). A migration
 * has no encryption key, so the process that ran it reads each name, derives its terms and stores their keyed
 * hashes, a batch per transaction. Idempotent: a member who has terms is skipped, so an interrupted run is
 * finished by the next.
 */
import type { ServiceContext } from '../context.js';
import { nameSearchTerms } from '../domain/members/name-search.js';
import { listMembersWithoutNameTerms, replaceMemberNameTerms } from '../storage/repositories/members.repository.js';
import { inTransaction } from '../storage/transaction.js';
import { nameTermIndexes } from './member-steps.js';

const BATCH = 500;

/** Gives every named member without search terms their terms; returns how many members it indexed. */
export async function indexMemberNames(ctx: ServiceContext): Promise<number> {
  let indexed = 0;
  let after: { programId: string; id: string } | undefined;
  for (;;) {
    // Read inside the transaction, so a name changed meanwhile is indexed as it now is.
    const batch = await inTransaction(ctx.storage, async (trx) => {
      const members = await listMembersWithoutNameTerms(trx, BATCH, after);
      for (const member of members) {
        if (member.nameCipher === null) continue;
        const terms = nameSearchTerms(ctx.pii.decrypt(member.nameCipher));
        await replaceMemberNameTerms(trx, member.programId, member.id, nameTermIndexes(ctx, terms));
      }
      return members;
    });
    if (batch.length === 0) return indexed;
    indexed += batch.length;
    const last = batch.at(-1);
    // A name without terms (one letter) stays without: move past it rather than find it again.
    after = last ? { programId: last.programId, id: last.id } : undefined;
  }
}
