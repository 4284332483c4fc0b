/**
 * Vanity referral codes: a member may replace their generated code once with one they choose. The old code
 * stops working for new sign-ups and links (referrals already made keep the code they were made with).
 */
import { DomainError } from '../../domain/errors.js';
import { checkVanityCode, codeSkeleton, vanityCodeMaxLength, vanityCodeMinLength } from '../../domain/referrals/codes.js';
import type { ServiceContext } from '../../context.js';
import { findMemberByReferralCode, lockMember } from '../../storage/repositories/members.repository.js';
import { findCodesWithSkeleton, setMemberReferralCode } from '../../storage/repositories/referrals.repository.js';
import { inTransaction, isUniqueViolation } from '../../storage/transaction.js';
import { iso } from '../views.js';

export interface ReferralCodeView {
  memberId: string;
  referralCode: string;
  customisedAt: string;
}

/**
 * Sets a member's vanity code.
 * @throws DomainError member_not_found, referral_code_already_customised, referral_code_refused (format,
 *   profanity, or a look-alike of another member's code), referral_code_taken
 */
export async function customiseReferralCode(ctx: ServiceContext, programId: string, memberId: string, input: { code: string }): Promise<ReferralCodeView> {
  try {
    return await inTransaction(ctx.storage, async (trx) => {
      const member = await lockMember(trx, ctx.storage, programId, { memberId });
      if (!member) throw new DomainError('member_not_found', `No member ${memberId} in this programme.`);
      if (member.referralCodeCustomisedAt !== null) {
        throw new DomainError('referral_code_already_customised', `Member ${memberId} already chose the code ${member.referralCode}; a code is chosen once.`);
      }
      const verdict = checkVanityCode(input.code);
      if (!verdict.ok) {
        throw DomainError.field(
          'referral_code_refused',
          '/code',
          verdict.reason === 'format'
            ? `A code has ${vanityCodeMinLength} to ${vanityCodeMaxLength} letters and digits.`
            : 'This code contains a word that cannot be used.',
        );
      }
      const code = verdict.code;
      const owner = await findMemberByReferralCode(trx, programId, code);
      if (owner && owner.id !== memberId) throw DomainError.field('referral_code_taken', '/code', `Another member has the code ${code}.`);
      const lookalike = await findCodesWithSkeleton(trx, programId, memberId, codeSkeleton(code));
      if (lookalike.length > 0) {
        throw DomainError.field('referral_code_refused', '/code', `${code} reads too much like another member's code (O/0, I/1/L, S/5, B/8, Z/2 look alike).`);
      }
      const now = ctx.clock.now();
      if (!(await setMemberReferralCode(trx, programId, memberId, code, now))) {
        throw new DomainError('referral_code_already_customised', `Member ${memberId} already chose a code; a code is chosen once.`);
      }
      return { memberId, referralCode: code, customisedAt: iso(now) };
    });
  } catch (error) {
    // Two members choosing one code at once: the unique key (program_id, referral_code) lets one win.
    if (isUniqueViolation(error)) throw DomainError.field('referral_code_taken', '/code', `Another member has the code ${input.code.toUpperCase()}.`);
    throw error;
  }
}
