/**
 * A fingerprint of a request body for idempotency: canonical JSON (object keys sorted at every depth), hashed.
 * Two bodies that differ only in key order are the same request.
 */
import crypto from 'node:crypto';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function requestHash(body: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(canonical(body)) ?? 'undefined').digest('base64url');
}
