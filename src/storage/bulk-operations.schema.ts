/** Table types of bulk operations (migration 0011): member imports and bulk adjustments, item by item. */
import type { Instant } from './schema.js';

export type BulkOperationKind = 'member_import' | 'points_adjustment';
export type BulkOperationStatus = 'queued' | 'running' | 'completed';
export type BulkItemStatus = 'pending' | 'succeeded' | 'failed';

export interface BulkOperationsTable {
  programId: string;
  id: string;
  kind: BulkOperationKind;
  status: BulkOperationStatus;
  /** The ledger reason of every adjustment (or opening balance) the operation posts. */
  reason: string | null;
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  /** Who sent it: the user's e-mail or the API key's name and prefix, as in the audit log. */
  createdBy: string;
  createdAt: Instant;
  startedAt: Instant | null;
  finishedAt: Instant | null;
}

export interface BulkOperationItemsTable {
  programId: string;
  operationId: string;
  /** 1-based position in the request's `items`. */
  line: number;
  /** The item as sent (JSON). */
  input: string;
  status: BulkItemStatus;
  /** What a succeeded item did (JSON): the member, and the ledger transaction when points moved. */
  result: string | null;
  /** Why a failed item failed (JSON): `{code, detail, pointer}` as a problem would say it. */
  problem: string | null;
  processedAt: Instant | null;
}

export interface BulkOperationTables {
  bulkOperations: BulkOperationsTable;
  bulkOperationItems: BulkOperationItemsTable;
}
