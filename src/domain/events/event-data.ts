/**
 * What each event type must carry. The HTTP schema only knows `data` is an object, because its shape depends on
 * `type`; these parsers give the same field-level problems (`/data/total`) to single and batched events alike.
 */
import { DomainError } from '../errors.js';
import { isKnownCurrency } from '../money.js';

export const builtInEventTypes = ['purchase', 'refund', 'review', 'survey', 'social_share', 'visit', 'event_attended', 'signup'] as const;
/**
 * Events Trouw itself records once a year per member (the job runner, in the programme's timezone). Rules may
 * trigger on them; clients may not send them, or a member could be celebrated twice.
 */
export const systemEventTypes = ['birthday', 'anniversary'] as const;
const customType = /^custom\.[a-z0-9][a-z0-9_.-]{0,63}$/;

/**
 * What `data` may hold (and a rule's sample event and member attributes in `/v1/rules/try`): rules read it on
 * every event, and their cost (domain/rules/cost.ts) grows with it. 128 KiB holds a basket of 1,000 lines.
 */
export const eventDataLimits = { maxBytes: 128 * 1024, maxCollectionLength: 1_000, maxDepth: 10 } as const;

/** The largest money amount accepted (10^12 minor units): far above any order, far below 2^53. */
export const maxMinorAmount = 1_000_000_000_000;

export interface PurchaseItem {
  sku: string;
  category?: string;
  quantity: number;
  unitPrice: number;
}

export interface PurchaseData {
  orderId: string;
  total: number;
  currency: string;
  items?: PurchaseItem[];
}

export interface RefundData {
  orderId: string;
  amount?: number;
}

/** Event ids Trouw gives the events it records itself (the yearly triggers): clients cannot use them. */
export const systemEventIdPrefix = 'trouw:';

/**
 * Refuses a client event id in the system's namespace, which would otherwise let a client take the id of a
 * member's birthday and block it for a year.
 * @throws DomainError validation_failed naming `/id`
 */
export function checkClientEventId(id: string, pointer = '/id'): void {
  if (id.toLowerCase().startsWith(systemEventIdPrefix)) {
    throw DomainError.field('validation_failed', pointer, `Event ids starting with "${systemEventIdPrefix}" are Trouw's own; use another id.`);
  }
}

/**
 * Checks an event type: `sentBy: 'client'` for events sent over the API, `'system'` for the yearly triggers,
 * `'rule'` for a rule's trigger (which may name either).
 * @throws DomainError validation_failed naming `pointer`
 */
export function checkEventType(type: string, sentBy: 'client' | 'system' | 'rule' = 'client', pointer = '/type'): void {
  if ((builtInEventTypes as readonly string[]).includes(type) || customType.test(type)) return;
  const isSystem = (systemEventTypes as readonly string[]).includes(type);
  if (isSystem && sentBy !== 'client') return;
  throw DomainError.field(
    'validation_failed',
    pointer,
    isSystem
      ? `Trouw records ${type} events itself, once a year per member; rules can trigger on them but clients cannot send them.`
      : `Unknown event type "${type}": use one of ${builtInEventTypes.join(', ')} or custom.<name> (lower case, digits, _ . -).`,
  );
}

function fail(pointer: string, detail: string): never {
  throw DomainError.field('validation_failed', pointer, detail);
}

function text(data: Record<string, unknown>, key: string, pointer: string, max = 200): string {
  const value = data[key];
  if (typeof value !== 'string' || value.length === 0 || value.length > max) fail(pointer, `${key} is a string of 1 to ${max} characters.`);
  return value;
}

function minor(value: unknown, pointer: string, what: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > maxMinorAmount) {
    fail(pointer, `${what} is a whole number of minor units from ${min} to ${maxMinorAmount} (e.g. 2599 for 25.99).`);
  }
  return value;
}

/** @throws DomainError validation_failed, unknown_currency */
export function parsePurchaseData(data: Record<string, unknown>): PurchaseData {
  const orderId = text(data, 'orderId', '/data/orderId');
  const total = minor(data.total, '/data/total', 'total');
  const currency = data.currency;
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) fail('/data/currency', 'currency is an ISO 4217 code such as EUR.');
  if (!isKnownCurrency(currency)) throw DomainError.field('unknown_currency', '/data/currency', `${currency} is not an ISO 4217 currency code.`);
  const purchase: PurchaseData = { orderId, total, currency };
  if (data.items !== undefined) {
    if (!Array.isArray(data.items) || data.items.length > 1_000) fail('/data/items', 'items is a list of at most 1000 lines.');
    purchase.items = data.items.map((raw: unknown, i): PurchaseItem => {
      const at = `/data/items/${i}`;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(at, 'each item is an object {sku, category?, quantity, unitPrice}.');
      const item = raw as Record<string, unknown>;
      const line: PurchaseItem = {
        sku: text(item, 'sku', `${at}/sku`),
        quantity: minor(item.quantity, `${at}/quantity`, 'quantity', 1),
        unitPrice: minor(item.unitPrice, `${at}/unitPrice`, 'unitPrice'),
      };
      if (item.category !== undefined) line.category = text(item, 'category', `${at}/category`);
      return line;
    });
  }
  return purchase;
}

/** @throws DomainError validation_failed */
export function parseRefundData(data: Record<string, unknown>): RefundData {
  const refund: RefundData = { orderId: text(data, 'orderId', '/data/orderId') };
  if (data.amount !== undefined) refund.amount = minor(data.amount, '/data/amount', 'amount', 1);
  return refund;
}

/** @throws DomainError validation_failed */
export function checkSurveyData(data: Record<string, unknown>): void {
  const score = data.score;
  if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > 10) fail('/data/score', 'score is a whole number from 0 to 10.');
}

/**
 * Refuses data beyond `eventDataLimits`: more bytes of JSON (UTF-8), a list or map with more elements, or
 * lists and maps nested deeper. `pointer` names `data` (`/data`, `/event/data`); the problem names the first
 * list, map or value that is over a limit.
 * @throws DomainError event_data_too_large
 */
export function checkEventDataLimits(data: Record<string, unknown>, pointer = '/data'): void {
  const { maxBytes, maxCollectionLength, maxDepth } = eventDataLimits;
  const tooLarge = (at: string, detail: string): never => {
    throw DomainError.field('event_data_too_large', at, detail);
  };
  const visit = (value: unknown, at: string, depth: number): void => {
    if (typeof value !== 'object' || value === null) return;
    if (depth > maxDepth) tooLarge(at, `Lists and maps may be nested at most ${maxDepth} deep in ${pointer}.`);
    const entries: [string, unknown][] = Array.isArray(value)
      ? (value as unknown[]).map((element, index) => [String(index), element])
      : Object.entries(value);
    if (entries.length > maxCollectionLength) {
      tooLarge(at, `A ${Array.isArray(value) ? 'list' : 'map'} in ${pointer} holds at most ${maxCollectionLength} elements; this one has ${entries.length}.`);
    }
    for (const [key, element] of entries) visit(element, `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, depth + 1);
  };
  const bytes = utf8Length(JSON.stringify(data));
  if (bytes > maxBytes) tooLarge(pointer, `${pointer} is ${bytes} bytes of JSON; at most ${maxBytes} are allowed.`);
  visit(data, pointer, 1);
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length) {
      // A surrogate pair is one character of four bytes.
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}
