/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): a secret is `whsec_` plus the base64 of random
 * bytes; a message is signed as `v1,` + base64(HMAC-SHA256(secret bytes, "{webhook-id}.{webhook-timestamp}.{body}")).
 * Several signatures are separated by spaces, which is how a rotated secret keeps working for a while: the
 * receiver accepts the message if any signature matches a secret it knows.
 *
 * Here rather than in the domain core only because it needs node:crypto; it has no other I/O.
 */
import crypto from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
/** 32 random bytes: the upper end of the 24–64 bytes the specification asks for. */
const SECRET_BYTES = 32;

export function newWebhookSecret(): string {
  return SECRET_PREFIX + crypto.randomBytes(SECRET_BYTES).toString('base64');
}

function secretBytes(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('webhook secrets start with whsec_');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/** One `v1,<base64>` signature of a message. */
export function signWebhook(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const mac = crypto.createHmac('sha256', secretBytes(secret)).update(`${messageId}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header: one signature per secret (current first), space-separated. */
export function signatureHeader(secrets: readonly string[], messageId: string, timestampSeconds: number, body: string): string {
  return secrets.map((secret) => signWebhook(secret, messageId, timestampSeconds, body)).join(' ');
}
