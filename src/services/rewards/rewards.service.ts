/**
 * The rewards catalogue: create, change, read and list rewards. Every write checks the whole reward against its
 * kind (domain/rewards/reward.ts) before anything is stored, so a bad field is a 4xx naming it and nothing is
 * written. Stock set here is the number left; redemptions take from it under the reward's lock.
 */
import { DomainError } from '../../domain/errors.js';
import { checkRewardDefinition, type LocalisedText, type RewardAudience, type RewardDefinition, type RewardKind, type RewardLimits } from '../../domain/rewards/reward.js';
import type { ServiceContext } from '../../context.js';
import { findProgram } from '../../storage/repositories/programs.repository.js';
import {
  findReward,
  insertReward,
  listRewards as listRewardRows,
  lockReward,
  updateReward as updateRewardRow,
} from '../../storage/repositories/rewards.repository.js';
import { inTransaction, type Trx } from '../../storage/transaction.js';
import { decodeCursor, encodeCursor, isIdCursor } from '../cursor.js';
import type { Page } from '../views.js';
import { rewardColumns, rewardDefinition, rewardView, type RewardView } from './reward-views.js';

export interface RewardInput {
  name: LocalisedText;
  description?: LocalisedText | null;
  pointsCost: number;
  kind: RewardKind;
  value?: number | null;
  currency?: string | null;
  maxDiscount?: number | null;
  sku?: string | null;
  stock?: number | null;
  limits?: RewardLimits | null;
  tiers?: string[] | null;
  validFrom?: string | null;
  validUntil?: string | null;
  active?: boolean;
  partnerId?: string | null;
  audience?: RewardAudience;
}

function toInstant(value: string | null | undefined, pointer: string): number | null {
  if (value === null || value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw DomainError.field('validation_failed', pointer, 'An RFC 3339 date-time is expected.');
  return ms;
}

function definitionOf(input: RewardInput): RewardDefinition {
  return {
    name: input.name,
    description: input.description ?? null,
    pointsCost: input.pointsCost,
    kind: input.kind,
    value: input.value ?? null,
    currency: input.currency ?? null,
    maxDiscount: input.maxDiscount ?? null,
    sku: input.sku ?? null,
    stock: input.stock ?? null,
    limits: input.limits?.perMember === undefined ? null : input.limits,
    tiers: input.tiers ?? null,
    validFrom: toInstant(input.validFrom, '/validFrom'),
    validUntil: toInstant(input.validUntil, '/validUntil'),
    active: input.active ?? true,
    partnerId: input.partnerId ?? null,
    audience: input.audience ?? 'catalogue',
  };
}

async function programCurrency(trx: Trx, programId: string): Promise<string> {
  const program = await findProgram(trx, programId);
  if (!program) throw new DomainError('program_not_found', `No programme ${programId}.`);
  return program.currency;
}

/**
 * Adds a reward to the catalogue.
 * @throws DomainError validation_failed, currency_mismatch
 */
export async function createReward(ctx: ServiceContext, programId: string, input: RewardInput): Promise<RewardView> {
  const now = ctx.clock.now();
  const id = ctx.ids.next('rwd');
  return inTransaction(ctx.storage, async (trx) => {
    const definition = checkRewardDefinition(definitionOf(input), await programCurrency(trx, programId));
    await insertReward(trx, { programId, id, ...rewardColumns(definition), redeemedCount: 0, createdAt: now, updatedAt: now });
    return rewardView(await mustFind(trx, programId, id));
  });
}

/**
 * Changes some fields of a reward; the result is checked as a whole (a field set to null is cleared).
 * @throws DomainError reward_not_found, validation_failed, currency_mismatch
 */
export async function updateReward(ctx: ServiceContext, programId: string, rewardId: string, patch: Partial<RewardInput>): Promise<RewardView> {
  return inTransaction(ctx.storage, async (trx) => {
    const row = await lockReward(trx, ctx.storage, programId, rewardId);
    if (!row) throw new DomainError('reward_not_found', `No reward ${rewardId} in this programme.`);
    const current = rewardDefinition(row);
    const pick = <K extends keyof RewardDefinition>(key: K, value: RewardDefinition[K] | undefined): RewardDefinition[K] =>
      value === undefined ? current[key] : value;
    const merged: RewardDefinition = {
      name: pick('name', patch.name),
      description: pick('description', patch.description),
      pointsCost: pick('pointsCost', patch.pointsCost),
      kind: pick('kind', patch.kind),
      value: pick('value', patch.value),
      // A changed value without a currency takes the programme's again; a kept value keeps its currency.
      currency: patch.currency !== undefined ? patch.currency : patch.value !== undefined ? null : current.currency,
      maxDiscount: pick('maxDiscount', patch.maxDiscount),
      sku: pick('sku', patch.sku),
      stock: pick('stock', patch.stock),
      limits: patch.limits === undefined ? current.limits : patch.limits?.perMember === undefined ? null : patch.limits,
      tiers: pick('tiers', patch.tiers),
      validFrom: patch.validFrom === undefined ? current.validFrom : toInstant(patch.validFrom, '/validFrom'),
      validUntil: patch.validUntil === undefined ? current.validUntil : toInstant(patch.validUntil, '/validUntil'),
      active: pick('active', patch.active),
      partnerId: pick('partnerId', patch.partnerId),
      audience: pick('audience', patch.audience),
    };
    const definition = checkRewardDefinition(merged, await programCurrency(trx, programId));
    await updateRewardRow(trx, programId, rewardId, { ...rewardColumns(definition), updatedAt: ctx.clock.now() });
    return rewardView(await mustFind(trx, programId, rewardId));
  });
}

/** @throws DomainError reward_not_found */
export async function getReward(ctx: ServiceContext, programId: string, rewardId: string): Promise<RewardView> {
  return rewardView(await mustFind(ctx.storage.db, programId, rewardId));
}

/**
 * The rewards, oldest first, a page at a time, optionally only active ones or one kind. `audience` defaults to
 * the catalogue, what members may redeem: a shop listing `GET /v1/rewards` for its members never shows the
 * rewards only the referral programme gives; `referral` lists those, `all` both (the dashboard).
 * @throws invalid_cursor
 */
export async function listRewards(
  ctx: ServiceContext,
  programId: string,
  query: { cursor?: string; limit?: number; active?: boolean; kind?: RewardKind; audience?: RewardAudience | 'all' } = {},
): Promise<Page<RewardView>> {
  const limit = query.limit ?? 50;
  const afterId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isIdCursor).after;
  const audience = query.audience ?? 'catalogue';
  const rows = await listRewardRows(ctx.storage.db, programId, {
    active: query.active,
    kind: query.kind,
    audience: audience === 'all' ? undefined : audience,
    afterId,
    limit,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(rewardView), nextCursor: rows.length > limit && last ? encodeCursor({ after: last.id }) : null };
}

async function mustFind(db: Trx, programId: string, rewardId: string) {
  const row = await findReward(db, programId, rewardId);
  if (!row) throw new DomainError('reward_not_found', `No reward ${rewardId} in this programme.`);
  return row;
}
