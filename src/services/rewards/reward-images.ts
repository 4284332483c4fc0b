/**
 * A reward's picture: set, removed, and read for serving. Stored in the database (reward_images) rather than on
 * disk, so every API process sharing one PostgreSQL serves the same pictures without shared storage.
 */
import crypto from 'node:crypto';
import { DomainError } from '../../domain/errors.js';
import { isRewardImageType, maxRewardImageBytes, sniffImageType } from '../../domain/rewards/reward-image.js';
import type { ServiceContext } from '../../context.js';
import { deleteRewardImage, findReward, findRewardImage, lockReward, putRewardImage } from '../../storage/repositories/rewards.repository.js';
import { inTransaction, type Trx } from '../../storage/transaction.js';
import { rewardView, type RewardView } from './reward-views.js';

async function mustLock(ctx: ServiceContext, trx: Trx, programId: string, rewardId: string) {
  const row = await lockReward(trx, ctx.storage, programId, rewardId);
  if (!row) throw new DomainError('reward_not_found', `No reward ${rewardId} in this programme.`);
  return row;
}

/** The reward as the change left it; the caller holds its lock, so it is there. */
async function reread(trx: Trx, programId: string, rewardId: string) {
  const row = await findReward(trx, programId, rewardId);
  if (!row) throw new Error('reward vanished under its own lock');
  return row;
}

/**
 * Sets (or replaces) the reward's picture: PNG, JPEG, WebP or GIF of at most 512 KB whose bytes are what
 * `contentType` says.
 * @throws DomainError reward_not_found, unsupported_media_type, reward_image_invalid, body_too_large
 */
export async function setRewardImage(ctx: ServiceContext, programId: string, rewardId: string, contentType: string, bytes: Uint8Array): Promise<RewardView> {
  const declared = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!isRewardImageType(declared)) {
    throw new DomainError('unsupported_media_type', 'Send the picture as image/png, image/jpeg, image/webp or image/gif.');
  }
  if (bytes.length > maxRewardImageBytes) throw new DomainError('body_too_large', `A reward picture is at most ${maxRewardImageBytes / 1024} KB.`);
  const actual = sniffImageType(bytes);
  if (actual !== declared) {
    throw new DomainError('reward_image_invalid', actual === null ? `The body is not a ${declared} picture.` : `The body is ${actual}, not ${declared}.`);
  }
  const version = crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return inTransaction(ctx.storage, async (trx) => {
    await mustLock(ctx, trx, programId, rewardId);
    const now = ctx.clock.now();
    await putRewardImage(trx, { programId, rewardId, version, contentType: declared, dataBase64: Buffer.from(bytes).toString('base64'), byteSize: bytes.length, createdAt: now });
    return rewardView(await reread(trx, programId, rewardId));
  });
}

/** Removes the reward's picture (nothing to remove is fine). @throws DomainError reward_not_found */
export async function removeRewardImage(ctx: ServiceContext, programId: string, rewardId: string): Promise<RewardView> {
  return inTransaction(ctx.storage, async (trx) => {
    await mustLock(ctx, trx, programId, rewardId);
    await deleteRewardImage(trx, programId, rewardId, ctx.clock.now());
    return rewardView(await reread(trx, programId, rewardId));
  });
}

/** The picture at `version` for serving, or null when the reward has no such picture (any more). */
export async function readRewardImage(ctx: ServiceContext, programId: string, rewardId: string, version: string): Promise<{ contentType: string; bytes: Buffer } | null> {
  const image = await findRewardImage(ctx.storage.db, programId, rewardId);
  if (!image || image.version !== version) return null;
  return { contentType: image.contentType, bytes: Buffer.from(image.dataBase64, 'base64') };
}
