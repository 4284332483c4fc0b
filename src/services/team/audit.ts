/**
 * The audit log: who changed what in a programme, with the resource before and after. Entries are written by
 * the HTTP layer's audit hook after a successful write and are never changed.
 */
import type { ServiceContext } from '../../context.js';
import { insertAuditEntry, listAuditEntries } from '../../storage/repositories/team.repository.js';
import { inTransaction } from '../../storage/transaction.js';
import { decodeCursor, encodeCursor, isIdCursor } from '../cursor.js';
import { iso } from '../views.js';

export interface Actor {
  kind: 'user' | 'api_key';
  id: string;
  label: string;
}

export interface AuditEntryInput {
  programId: string;
  actor: Actor;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

export interface AuditEntryView {
  id: string;
  actor: Actor;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  at: string;
}

const secretFields = new Set(['key', 'secret', 'password', 'currentPassword', 'newPassword', 'temporaryPassword', 'csrfToken', 'token']);

/** A copy of `value` with every secret-looking field's text replaced, however deep it sits. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([field, inner]) => [
      field,
      secretFields.has(field) && typeof inner === 'string' ? '[redacted]' : redactSecrets(inner),
    ]),
  );
}

export async function recordAuditEntry(ctx: ServiceContext, entry: AuditEntryInput): Promise<void> {
  const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(redactSecrets(value)));
  await inTransaction(ctx.storage, (trx) =>
    insertAuditEntry(trx, {
      programId: entry.programId,
      id: ctx.ids.next('aud'),
      actorKind: entry.actor.kind,
      actorId: entry.actor.id,
      actorLabel: entry.actor.label,
      action: entry.action,
      target: entry.target,
      before: json(entry.before),
      after: json(entry.after),
      at: ctx.clock.now(),
    }),
  );
}

/** The programme's audit log, newest first. @throws DomainError invalid_cursor */
export async function listAuditLog(
  ctx: ServiceContext,
  programId: string,
  query: { cursor?: string; limit?: number },
): Promise<{ data: AuditEntryView[]; nextCursor: string | null }> {
  const limit = query.limit ?? 50;
  const before = query.cursor === undefined ? null : decodeCursor(query.cursor, isIdCursor).after;
  const rows = await listAuditEntries(ctx.storage.db, programId, before, limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map((row) => ({
      id: row.id,
      actor: { kind: row.actorKind, id: row.actorId, label: row.actorLabel },
      action: row.action,
      target: row.target,
      before: row.before === null ? null : (JSON.parse(row.before) as unknown),
      after: row.after === null ? null : (JSON.parse(row.after) as unknown),
      at: iso(row.at),
    })),
    nextCursor: rows.length > limit && last ? encodeCursor({ after: last.id }) : null,
  };
}
