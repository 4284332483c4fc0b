/**
 * Personal data at rest: AES-256-GCM per value, and a keyed blind index (HMAC-SHA256) for the one field we
 * look up by (email). Both keys are derived from one master key with HKDF, so an operator manages one secret,
 * and the index cannot be reversed without it. A value is stored as `v1.<iv>.<tag>.<ciphertext>` (base64url);
 * the version names the key, leaving room for rotation.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface PiiCipher {
  encrypt(plaintext: string): string;
  decrypt(stored: string): string;
  /** Deterministic, keyed: equal inputs give equal indexes; normalise before calling. */
  blindIndex(value: string): string;
}

function derive(master: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', master, Buffer.alloc(0), `trouw:${purpose}`, 32));
}

export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error('TROUW_ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64.');
  return key;
}

export function createPiiCipher(master: Buffer): PiiCipher {
  const encryptionKey = derive(master, 'pii-encryption-v1');
  const indexKey = derive(master, 'pii-blind-index-v1');
  return {
    encrypt(plaintext) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', encryptionKey, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    decrypt(stored) {
      const [version, iv, tag, body] = stored.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unknown ciphertext format');
      const decipher = crypto.createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
    blindIndex(value) {
      return crypto.createHmac('sha256', indexKey).update(value, 'utf8').digest('base64url');
    },
  };
}

/**
 * The master key: from configuration, or (embedded mode only) from `encryption.key` in the data dir, generated
 * on first start. Losing that file makes stored personal data unreadable, so the caller logs where it is.
 */
export function loadOrCreateMasterKey(configured: string | null, dataDir: string, embedded: boolean): { key: Buffer; generatedAt: string | null } {
  if (configured) return { key: parseMasterKey(configured), generatedAt: null };
  if (!embedded) {
    throw new Error('TROUW_ENCRYPTION_KEY is required with PostgreSQL (32 bytes as hex or base64, e.g. `openssl rand -hex 32`).');
  }
  const file = path.join(dataDir, 'encryption.key');
  if (fs.existsSync(file)) return { key: parseMasterKey(fs.readFileSync(file, 'utf8')), generatedAt: null };
  fs.mkdirSync(dataDir, { recursive: true });
  const key = crypto.randomBytes(32);
  fs.writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  return { key, generatedAt: file };
}
