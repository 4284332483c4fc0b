/**
 * Ledger values: accounts, entries and postings. A posting is the set of entries of one ledger transaction;
 * its amounts sum to zero (double entry). Member accounts hold points; programme accounts are where points come
 * from (issuance) and go to (expired, redeemed). Every entry on a member account names the lot it moves, so a
 * lot's remaining points can always be recomputed from the ledger (`trouw verify` does).
 */
import { invariant } from '../invariant.js';

export type MemberAccount = 'member_available' | 'member_pending';
export type ProgramAccount = 'issuance' | 'expired' | 'redeemed';
export type Account = MemberAccount | ProgramAccount;

export const memberAccounts: readonly MemberAccount[] = ['member_available', 'member_pending'];

export type LedgerTransactionKind = 'earn' | 'refund' | 'adjustment' | 'release' | 'expiry' | 'redemption' | 'redemption_cancel';

export interface Entry {
  account: Account;
  memberId: string | null;
  lotId: string | null;
  ruleId: string | null;
  ruleVersion: number | null;
  amount: number;
}

export interface Posting {
  kind: LedgerTransactionKind;
  entries: Entry[];
}

export function isMemberAccount(account: Account): account is MemberAccount {
  return account === 'member_available' || account === 'member_pending';
}

/** Checks what only a bug could break: non-zero integer amounts that sum to zero, member entries with a lot. */
export function assertBalanced(posting: Posting): void {
  let sum = 0;
  for (const entry of posting.entries) {
    invariant(Number.isSafeInteger(entry.amount) && entry.amount !== 0, `entry amount ${entry.amount} is a non-zero integer`);
    if (isMemberAccount(entry.account)) {
      invariant(entry.memberId !== null && entry.lotId !== null, 'a member entry names its member and lot');
    }
    sum += entry.amount;
  }
  invariant(posting.entries.length >= 2, 'a posting has at least two entries');
  invariant(sum === 0, `posting ${posting.kind} sums to ${sum}, not zero`);
}

/** How a posting changes a member's materialised balance. */
export function balanceDelta(posting: Posting, memberId: string): { available: number; pending: number } {
  let available = 0;
  let pending = 0;
  for (const entry of posting.entries) {
    if (entry.memberId !== memberId) continue;
    if (entry.account === 'member_available') available += entry.amount;
    if (entry.account === 'member_pending') pending += entry.amount;
  }
  return { available, pending };
}

export function entry(account: Account, amount: number, fields: Partial<Omit<Entry, 'account' | 'amount'>> = {}): Entry {
  return {
    account,
    amount,
    memberId: fields.memberId ?? null,
    lotId: fields.lotId ?? null,
    ruleId: fields.ruleId ?? null,
    ruleVersion: fields.ruleVersion ?? null,
  };
}
