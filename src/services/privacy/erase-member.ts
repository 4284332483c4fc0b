/**
 * Erasing a member (GDPR article 17, the right to erasure). What identifies the person goes: e-mail, name,
 * phone, birth date and their blind indexes and name terms, locale, attributes, consents, the fingerprints the
 * fraud check kept, a vanity referral code, and the business's own externalId (replaced, so the business can
 * enrol the person again as someone new). What the books need stays, under the bare member id: the ledger,
 * the events and redemptions, the referral records; outbox messages about the member lose the externalId too. Points left, pending or available, are forfeited to the
 * programme's expired account with the reason, so the ledger still balances and the liability is gone.
 * `member.erased` tells the business to erase the person from its own systems too.
 * Erasing is final and idempotent: a second call answers with the erased member and changes nothing.
 */
import { DomainError } from '../../domain/errors.js';
import { takePosting } from '../../domain/ledger/lots.js';
import type { ServiceContext } from '../../context.js';
import { deleteMemberFingerprints } from '../../storage/repositories/fraud.repository.js';
import { postDueExpiry } from '../expiry-steps.js';
import { listOpenLots, writeMemberPosting } from '../../storage/repositories/ledger.repository.js';
import { findMember, lockMember, replaceMemberNameTerms, updateMember } from '../../storage/repositories/members.repository.js';
import { enqueueOutbox, listOutboxMessagesOfMember, rewriteOutboxMessageData } from '../../storage/outbox.js';
import { inTransaction } from '../../storage/transaction.js';
import { iso, memberView, type MemberView } from '../views.js';

export interface EraseOutcome {
  member: MemberView;
  /** Points the member still had, forfeited by the erasure (0 on a repeat). */
  pointsForfeited: number;
}

/**
 * Erases the member's personal data and forfeits their points, in one transaction.
 * @throws DomainError member_not_found, validation_failed (no reason)
 */
export async function eraseMember(ctx: ServiceContext, programId: string, memberId: string, input: { reason: string }): Promise<EraseOutcome> {
  const reason = input.reason.trim();
  if (reason.length === 0) throw DomainError.field('validation_failed', '/reason', 'Say why the member is erased (e.g. "erasure request of 2 December").');
  return inTransaction(ctx.storage, async (trx) => {
    const member = await lockMember(trx, ctx.storage, programId, { memberId });
    if (!member) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
    if (member.status === 'erased') return { member: memberView(member, ctx.pii), pointsForfeited: 0 };
    const now = ctx.clock.now();

    // What had already expired is posted as expired; only what was still theirs is forfeited by the erasure.
    await postDueExpiry(ctx, trx, programId, memberId, now);
    const takes = (await listOpenLots(trx, programId, memberId)).map((lot) => ({ lotId: lot.id, points: lot.remaining, pending: lot.releasedAt === null }));
    const pointsForfeited = takes.reduce((sum, take) => sum + take.points, 0);
    if (pointsForfeited > 0) {
      await writeMemberPosting(
        trx,
        programId,
        takePosting('expiry', memberId, takes, 'expired'),
        { id: ctx.ids.next('ltx'), memberId, reason: `member erased: ${reason}`, eventId: null, createdAt: now },
        { takes },
      );
    }

    const erasedExternalId = `erased:${memberId}`;
    await updateMember(trx, programId, memberId, {
      externalId: erasedExternalId,
      emailCipher: null,
      emailIndex: null,
      emailIdentityIndex: null,
      nameCipher: null,
      phoneCipher: null,
      birthDateCipher: null,
      birthday: null,
      anniversary: null,
      locale: null,
      attributes: '{}',
      consents: '{}',
      // A vanity code can name the person; a code no lookup can match (lookups are upper case) frees it too.
      referralCode: `erased:${memberId}`,
      status: 'erased',
      updatedAt: now,
    });
    // Messages about the member (kept 30 days for the webhook log, or still waiting) name them by externalId.
    for (const message of await listOutboxMessagesOfMember(trx, programId, memberId)) {
      const data = JSON.parse(message.data) as Record<string, unknown>;
      if (data.externalId !== member.externalId) continue;
      await rewriteOutboxMessageData(trx, programId, message.id, { ...data, externalId: erasedExternalId });
    }
    await replaceMemberNameTerms(trx, programId, memberId, []);
    await deleteMemberFingerprints(trx, programId, memberId);
    await enqueueOutbox(trx, ctx.ids, programId, [{ type: 'member.erased', memberId, data: { memberId, pointsForfeited, erasedAt: iso(now) } }], now);
    const erased = await findMember(trx, programId, memberId);
    if (!erased) throw new Error('member vanished inside its own transaction');
    return { member: memberView(erased, ctx.pii), pointsForfeited };
  });
}
