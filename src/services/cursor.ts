/** Opaque list cursors: base64url JSON, so clients cannot depend on what is inside. */
import { DomainError } from '../domain/errors.js';

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** @throws DomainError invalid_cursor when the cursor was not made by `encodeCursor` with this shape. */
export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // Falls through to the problem below: a cursor that does not parse is as invalid as one of the wrong shape.
  }
  // Named like the schema's own query-string problems (`/querystring/limit`), since a cursor only travels there.
  throw DomainError.field('invalid_cursor', '/querystring/cursor', 'The cursor is not one this list handed out.');
}

/** The cursor of lists ordered by id: the last id of the previous page. */
export const isIdCursor = (v: unknown): v is { after: string } =>
  typeof v === 'object' && v !== null && typeof (v as { after?: unknown }).after === 'string';

/** The cursor of lists ordered newest first: the last (smallest) id of the previous page. */
export const isBeforeCursor = (v: unknown): v is { before: string } =>
  typeof v === 'object' && v !== null && typeof (v as { before?: unknown }).before === 'string';
