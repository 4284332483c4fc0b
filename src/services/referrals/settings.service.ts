/**
 * The referral programme's settings (`GET/PUT /v1/referral-program`): validated by the domain, rewards checked
 * against the catalogue, stored as one row per programme. A catalogue reward named for a side must exist and be
 * one that can be given now (active, inside its window, in stock; `checkIssuable`), so a programme is never saved
 * with a reward its first payout would fail on. It may still fail later (deactivated, sold out, expired): the
 * payout then leaves the referral reward_failed (services/referrals/lifecycle.ts).
 */
import { DomainError, type FieldError } from '../../domain/errors.js';
import { checkReferralSettings, rewardIdsOf, type ReferralSettings, type ReferralSettingsInput } from '../../domain/referrals/settings.js';
import { checkIssuable } from '../../domain/rewards/eligibility.js';
import type { ServiceContext } from '../../context.js';
import { findProgram, bumpRulesVersion } from '../../storage/repositories/programs.repository.js';
import { findReferralProgram, upsertReferralProgram } from '../../storage/repositories/referrals.repository.js';
import { findReward } from '../../storage/repositories/rewards.repository.js';
import { inTransaction } from '../../storage/transaction.js';
import { iso } from '../views.js';
import { referralProgramOf } from './lifecycle.js';

export interface ReferralProgramView extends ReferralSettings {
  createdAt: string;
  updatedAt: string;
}

/** @throws DomainError referral_not_found when the programme has no referral programme yet */
export async function getReferralProgram(ctx: ServiceContext, programId: string): Promise<ReferralProgramView> {
  const row = await findReferralProgram(ctx.storage.db, programId);
  if (!row) throw new DomainError('referral_not_found', 'This programme has no referral programme yet; PUT /v1/referral-program sets one up.');
  return { ...referralProgramOf(row).settings, enabled: row.enabled === 1, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) };
}

/**
 * Sets the referral programme's settings (all of them: a PUT replaces). Changes apply to what happens next:
 * open referrals keep their expiry, rewards already given stay.
 * @throws DomainError validation_failed, reward_not_found, reward_not_issuable (naming the field)
 */
export async function putReferralProgram(ctx: ServiceContext, programId: string, input: ReferralSettingsInput): Promise<ReferralProgramView> {
  const settings = checkReferralSettings(input);
  return inTransaction(ctx.storage, async (trx) => {
    if (!(await findProgram(trx, programId))) throw new DomainError('program_not_found', `No programme ${programId}.`);
    const now = ctx.clock.now();
    const named = rewardIdsOf(settings);
    // A reward named for both sides gives two coupons per referral.
    const units = new Map<string, number>();
    for (const { rewardId } of named) units.set(rewardId, (units.get(rewardId) ?? 0) + 1);
    const refusals: FieldError[] = [];
    for (const { rewardId, pointer } of named) {
      const reward = await findReward(trx, programId, rewardId);
      if (!reward) throw DomainError.field('reward_not_found', pointer, `No reward ${rewardId} in this programme's catalogue.`);
      const verdict = checkIssuable({ active: reward.active === 1, validFrom: reward.validFrom, validUntil: reward.validUntil, stock: reward.stock }, units.get(rewardId) ?? 1, now);
      if (!verdict.ok) refusals.push({ pointer, detail: `The reward ${rewardId} cannot be given: ${verdict.detail.charAt(0).toLowerCase()}${verdict.detail.slice(1)}` });
    }
    if (refusals.length > 0) throw new DomainError('reward_not_issuable', refusals.map((r) => r.detail).join(' '), refusals);
    await upsertReferralProgram(trx, programId, settings.enabled, JSON.stringify(settings), now);
    // Event ingestion caches the referral programme per process by the programme's rules version.
    await bumpRulesVersion(trx, programId, now);
    const row = await findReferralProgram(trx, programId);
    if (!row) throw new Error('referral programme vanished inside its own transaction');
    return { ...settings, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) };
  });
}
