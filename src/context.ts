/**
 * The ServiceContext every service takes: storage, clock, ids, the personal-data cipher and a logger. Built once
 * per process (by the CLI, the server or a test), so services never reach for globals.
 */
import crypto from 'node:crypto';
import pino, { type Logger } from 'pino';
import { TypeID, typeid } from 'typeid-js';
import type { Config } from './config.js';
import { openStorage, type Storage } from './storage/db.js';
import path from 'node:path';
import { createPiiCipher, loadOrCreateMasterKey, type PiiCipher } from './storage/pii.js';

export interface Clock {
  /** Epoch milliseconds, UTC. */
  now(): number;
}

export type IdPrefix =
  | 'prg' | 'key' | 'mbr' | 'ltx' | 'lot' | 'rul' | 'evt' | 'msg'
  // rewards: reward, redemption, coupon batch
  | 'rwd' | 'rdm' | 'cpb'
  // tiers: tier change, membership plan, membership
  | 'tch' | 'pln' | 'mbs'
  // webhooks: endpoint, delivery, delivery attempt
  | 'whe' | 'dlv' | 'att'
  // referrals: referral, click
  | 'rfl' | 'clk'
  // earn abuse: a held award
  | 'hld'
  // team accounts: user, session (unused as a row id: sessions are keyed by their token's hash), audit entry
  | 'usr' | 'ses' | 'aud'
  // bulk operations (member imports, bulk adjustments)
  | 'bop';

export interface Ids {
  /** A time-ordered (UUIDv7-based TypeID) id: new rows land at the right edge of B-tree indexes. */
  next(prefix: IdPrefix): string;
}

export interface ServiceContext {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  pii: PiiCipher;
  logger: Logger;
  /** Operator decisions the services need (from Config). */
  policy: Policy;
}

export interface Policy {
  /** Webhook URLs on loopback or private networks are refused unless the operator allows them (tests, intranets). */
  allowPrivateWebhookUrls: boolean;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The smallest id with `prefix` made at `epochMs`: ids are time-ordered, so `id < idAt(prefix, t)` selects
 * the rows made before `t` through the primary key, without an index on a time column.
 */
export function idAt(prefix: IdPrefix, epochMs: number): string {
  const hex = Math.max(0, Math.floor(epochMs)).toString(16).padStart(12, '0');
  // UUIDv7: 48 bits of milliseconds, then the version nibble 7 and the variant bits, the rest zero.
  return TypeID.fromUUID(prefix, `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`).toString();
}
export const typeIds: Ids = { next: (prefix) => typeid(prefix).toString() };

/** 32 unambiguous characters (no 0/O, 1/I) for codes people read aloud or type; 32 keeps `byte & 31` unbiased. */
const CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

export function randomCode(length: number): string {
  const bytes = crypto.randomBytes(length);
  let code = '';
  for (const byte of bytes) code += CODE_ALPHABET[byte & 31];
  return code;
}

export interface ContextOptions {
  config: Config;
  logger?: Logger;
  clock?: Clock;
  /** For long-running processes (serve): SQLite checkpoints from a worker thread, off the request path. */
  backgroundCheckpoint?: boolean;
}

/** Opens storage and loads (or, embedded, creates) the encryption key. The caller closes `ctx.storage`. */
export function createContext({ config, logger, clock, backgroundCheckpoint }: ContextOptions): ServiceContext {
  const log = logger ?? pino({ level: config.logLevel });
  const storage = openStorage({
    databaseUrl: config.databaseUrl,
    sqlitePath: path.join(config.dataDir, 'trouw.db'),
    sqliteSynchronous: config.sqliteSynchronous,
    backgroundCheckpoint,
  });
  const { key, generatedAt } = loadOrCreateMasterKey(config.encryptionKey, config.dataDir, storage.dialect === 'sqlite');
  if (generatedAt) {
    log.warn({ file: generatedAt }, 'generated a new encryption key for personal data; back this file up with the database');
  }
  return {
    storage,
    clock: clock ?? systemClock,
    ids: typeIds,
    pii: createPiiCipher(key),
    logger: log,
    policy: { allowPrivateWebhookUrls: config.webhookAllowPrivate },
  };
}
