import { describe, expect, it } from 'vitest';
import { allocateSpend, redemptionCancelPosting, redemptionPosting, type Lot } from './lots.js';

const lot = (id: string, remaining: number, expiresAt: number | null): Lot => ({
  id, memberId: 'm', amount: remaining, remaining, availableAt: 0, releasedAt: 0, expiresAt, createdAt: 0,
});

describe('redemption postings', () => {
  it('spends oldest expiry first into redeemed, and a cancel pays the same points into new lots', () => {
    const takes = allocateSpend([lot('late', 100, 2000), lot('soon', 30, 1000), lot('never', 50, null)], 120, 0);
    expect(takes).toEqual([{ lotId: 'soon', points: 30, pending: false }, { lotId: 'late', points: 90, pending: false }]);
    const spend = redemptionPosting('m', takes);
    expect(spend.kind).toBe('redemption');
    expect(spend.entries.find((e) => e.account === 'redeemed')?.amount).toBe(120);
    const cancel = redemptionCancelPosting('m', [{ lotId: 'soon', points: 30, expiresAt: 1000 }, { lotId: 'late', points: 90, expiresAt: 2000 }], ['n1', 'n2']);
    expect(cancel.kind).toBe('redemption_cancel');
    expect(cancel.entries).toEqual([
      expect.objectContaining({ account: 'redeemed', amount: -120 }),
      expect.objectContaining({ account: 'member_available', amount: 30, lotId: 'n1', memberId: 'm' }),
      expect.objectContaining({ account: 'member_available', amount: 90, lotId: 'n2', memberId: 'm' }),
    ]);
  });
});
