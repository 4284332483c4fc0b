/**
 * The purchase events every measurement sends. Each has a unique event id and order id (a reused id would be a
 * replay, which skips the posting and would flatter the figures) and a random member among the enrolled ones,
 * so writes spread over the members' rows as real traffic would.
 */
import type { RecordEventInput } from '../../src/services/events.service.js';

/** A purchase as recordEvent and POST /v1/events take it, with the fields the baseline needs typed. */
export interface PurchaseEvent extends RecordEventInput {
  type: 'purchase';
  externalId: string;
  data: { orderId: string; total: number; currency: string };
}

export const MEMBER_COUNT = 10_000;

/** 25.99 EUR: earns 25 points on the base rule (1 point per whole euro). */
export const PURCHASE_TOTAL_MINOR = 2599;
export const PURCHASE_POINTS = 25;

/** Ids must stay unique across every phase and run on a database, and across bench runs for safety. */
const runTag = Date.now().toString(36);
let sequence = 0;

export function externalIdOf(index: number): string {
  return `m${index}`;
}

export function randomMember(): string {
  return externalIdOf(Math.floor(Math.random() * MEMBER_COUNT));
}

/** A purchase on a random member; `source` names the phase so a stray row can be traced back. */
export function nextPurchase(source: string): PurchaseEvent {
  sequence += 1;
  const id = `${source}-${runTag}-${sequence}`;
  return {
    id: `evt-${id}`,
    type: 'purchase',
    externalId: randomMember(),
    data: { orderId: `ord-${id}`, total: PURCHASE_TOTAL_MINOR, currency: 'EUR' },
  };
}
