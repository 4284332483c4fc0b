/**
 * Clicks on referral links. A link is public and may be hit in bursts (a code posted on a busy page), so clicks
 * are written like events: grouped. Requests that arrive while a group is being written wait for the next
 * group, which resolves all their codes in one query and inserts all their clicks in multi-row statements, in
 * one transaction; each request is answered after its group committed, so a redirect means the click counted.
 *
 * Links: the canonical link is `/r/{programId}/{code}` (codes are unique per programme only); the short form
 * `/r/{code}` works while exactly one programme with its referral programme on has that code, and otherwise
 * answers not found rather than guessing a programme.
 */
import { normaliseReferralCode } from '../../domain/referrals/codes.js';
import type { ReferralSettings } from '../../domain/referrals/settings.js';
import { landingUrlWithCode } from '../../domain/referrals/share.js';
import type { ServiceContext } from '../../context.js';
import type { Storage } from '../../storage/db.js';
import { insertClicks, resolveReferralCodes } from '../../storage/repositories/referrals.repository.js';
import type { ReferralClicksTable } from '../../storage/referrals.schema.js';
import { inTransaction } from '../../storage/transaction.js';
import { fingerprintHashes } from '../fraud/referral-fraud.js';

export interface ClickInput {
  /** Given by the canonical link; absent for the short one. */
  programId?: string;
  code: string;
  ip: string | null;
  userAgent: string | null;
  /** The link's query string parameters; the utm_* ones are kept. */
  query: Record<string, unknown>;
}

export type ClickOutcome =
  | { found: true; clickId: string; code: string; location: string; cookieMaxAgeSeconds: number }
  | { found: false; reason: 'unknown_code' | 'ambiguous_code' };

const utmKeys = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;
const MAX_USER_AGENT = 512;
const MAX_UTM = 200;
const MAX_GROUP = 5_000;

interface Waiting {
  input: ClickInput;
  resolve(outcome: ClickOutcome): void;
  reject(error: unknown): void;
}

class ClickRecorder {
  private queue: Waiting[] = [];
  private writing = false;
  private scheduled = false;

  constructor(private readonly ctx: ServiceContext) {}

  submit(input: ClickInput): Promise<ClickOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** After the current turn of the event loop, so every request already in hand joins the group. */
  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.writing || this.queue.length === 0) return;
    this.writing = true;
    const group = this.queue.splice(0, MAX_GROUP);
    try {
      const outcomes = await this.write(group.map((w) => w.input));
      group.forEach((w, i) => w.resolve(outcomes[i] as ClickOutcome));
    } catch (error) {
      for (const w of group) w.reject(error);
    } finally {
      this.writing = false;
      this.schedule();
    }
  }

  private async write(inputs: ClickInput[]): Promise<ClickOutcome[]> {
    const { ctx } = this;
    return inTransaction(ctx.storage, async (trx) => {
      const now = ctx.clock.now();
      const codes = [...new Set(inputs.map((i) => i.code))];
      const owners = await resolveReferralCodes(trx, codes);
      const rows: ReferralClicksTable[] = [];
      const outcomes = inputs.map((input): ClickOutcome => {
        const matches = owners.filter((o) => o.referralCode === input.code && o.status === 'active' && (input.programId === undefined || o.programId === input.programId));
        if (matches.length === 0) return { found: false, reason: 'unknown_code' };
        if (matches.length > 1) return { found: false, reason: 'ambiguous_code' };
        const owner = matches[0] as (typeof matches)[number];
        const settings = JSON.parse(owner.settings) as ReferralSettings;
        const location = landingUrlWithCode(settings.landingUrl, input.code);
        const id = ctx.ids.next('clk');
        rows.push({
          programId: owner.programId,
          id,
          referrerMemberId: owner.id,
          code: input.code,
          ipHash: input.ip === null ? null : fingerprintHashes(ctx, { ip: input.ip }).ip,
          userAgent: input.userAgent === null ? null : input.userAgent.slice(0, MAX_USER_AGENT),
          utm: utmOf(input.query),
          landingUrl: location,
          clickedAt: now,
        });
        return { found: true, clickId: id, code: input.code, location, cookieMaxAgeSeconds: settings.validityDays * 86_400 };
      });
      await insertClicks(trx, rows);
      return outcomes;
    });
  }
}

function utmOf(query: Record<string, unknown>): string | null {
  const utm: Record<string, string> = {};
  for (const key of utmKeys) {
    const value = query[key];
    if (typeof value === 'string' && value.length > 0) utm[key] = value.slice(0, MAX_UTM);
  }
  return Object.keys(utm).length === 0 ? null : JSON.stringify(utm);
}

const recorders = new WeakMap<Storage, ClickRecorder>();

/**
 * Records a click on a referral link and says where to send the visitor: the programme's landing page with
 * `ref=CODE`. Unknown codes, codes of a programme whose referral programme is off, of a member who is not
 * active, and short links whose code several programmes have, are not found (nothing is written).
 */
export function recordClick(ctx: ServiceContext, input: ClickInput): Promise<ClickOutcome> {
  const code = normaliseReferralCode(input.code);
  // Not a code at all: answered without touching the database.
  if (!/^[A-Z0-9]{4,32}$/.test(code)) return Promise.resolve({ found: false, reason: 'unknown_code' });
  let recorder = recorders.get(ctx.storage);
  if (!recorder) {
    recorder = new ClickRecorder(ctx);
    recorders.set(ctx.storage, recorder);
  }
  return recorder.submit({ ...input, code });
}
