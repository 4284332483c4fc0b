/** TypeBox schemas of bulk operations (`/v1/bulk-operations`): member imports and bulk adjustments. */
import { Type } from 'typebox';
import { ExternalId, MemberProfile, Nullable, PageQuery } from '../schemas.js';

const maxItems = 10_000;
const instant = Type.String({ format: 'date-time' });

const AdjustmentLine = Type.Object(
  {
    externalId: ExternalId,
    points: Type.Integer({ description: 'Positive gives, negative takes (never below zero: such a line fails alone)' }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);

const ImportLine = Type.Object(
  {
    externalId: ExternalId,
    ...MemberProfile,
    points: Type.Optional(Type.Integer({ minimum: 1, description: 'An opening balance, available at once' })),
  },
  { additionalProperties: false },
);

export const PointsAdjustmentBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 500, description: "Each item's ledger reason, unless the item gives its own" }),
    items: Type.Array(AdjustmentLine, { minItems: 1, maxItems }),
  },
  { additionalProperties: false },
);

export const MemberImportBody = Type.Object(
  {
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'The ledger reason of opening balances (default: "Opening balance (import)")' })),
    items: Type.Array(ImportLine, { minItems: 1, maxItems }),
  },
  { additionalProperties: false },
);

export const BulkOperation = Type.Object(
  {
    id: Type.String(),
    kind: Type.Union([Type.Literal('member_import'), Type.Literal('points_adjustment')]),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed')]),
    reason: Nullable(Type.String()),
    total: Type.Integer(),
    processed: Type.Integer(),
    succeeded: Type.Integer(),
    failed: Type.Integer(),
    createdBy: Type.String({ description: "Who sent it: the user's e-mail, or the API key's name and prefix" }),
    createdAt: instant,
    startedAt: Nullable(instant),
    finishedAt: Nullable(instant),
  },
  { description: 'A bulk operation and its progress' },
);

export const BulkItem = Type.Object({
  line: Type.Integer({ description: '1-based position in the request; its pointer is /items/{line - 1}' }),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  input: Type.Record(Type.String(), Type.Unknown(), { description: 'The line as sent' }),
  result: Nullable(Type.Object({ memberId: Type.String(), transactionId: Nullable(Type.String()) })),
  problem: Nullable(Type.Object({ code: Type.String(), detail: Type.String(), pointer: Nullable(Type.String()) })),
  processedAt: Nullable(instant),
});

export const BulkItemsQuery = Type.Object(
  { status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')])), ...PageQuery },
  { additionalProperties: false },
);
