/**
 * Referral fraud signals on a real database, on every dialect: each signal is shown firing on a crafted case,
 * with its score and evidence, and staying quiet on the honest case next to it. Members are enrolled through
 * the members service with the referral code and their client context (which records their fingerprints and
 * e-mail identity). These programmes have no referral programme switched on, so enrolment starts no referral:
 * the referral rows that velocity counts are written here as the referral flow writes them (status from the
 * decision, hashed sign-up IP and device), and `assessReferral` is called directly at each stage.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context.js';
import { enrolMember } from '../../src/services/members.service.js';
import {
  assessReferral,
  emailIdentityIndex,
  fingerprintHashes,
  isDisposableDomain,
  recordFingerprints,
  type ClientContext,
  type ReferralAssessment,
} from '../../src/services/fraud/referral-fraud.js';
import type { MemberView } from '../../src/services/views.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { forEachDialect } from '../support/dialects.js';
import { givenProgram, givenPurchase, uniqueId } from '../support/factories.js';
import { memberFraudView } from '../../src/services/fraud/earn-holds.js';
import { recordEvent } from '../../src/services/events.service.js';
import { getMember } from '../../src/services/members.service.js';

const defaults = { reviewAbove: 40, rejectAbove: 80 };
type Stage = 'signup' | 'qualification';

/** Enrols a member (referred when `referrer` is given) through the members service, with their client context. */
async function enrol(ctx: ServiceContext, programId: string, options: { email?: string; referrer?: MemberView; context?: ClientContext } = {}) {
  return enrolMember(ctx, programId, { externalId: uniqueId('customer'), email: options.email, referralCode: options.referrer?.referralCode, context: options.context ?? {} });
}

async function assess(
  ctx: ServiceContext,
  programId: string,
  referrer: MemberView,
  friend: MemberView,
  options: { context?: ClientContext; stage?: Stage; qualifyingOrder?: { orderId: string; refundedMinor: number }; policy?: typeof defaults } = {},
): Promise<ReferralAssessment> {
  return inTransaction(ctx.storage, (trx) =>
    assessReferral(ctx, trx, programId, {
      referrerMemberId: referrer.id,
      friendMemberId: friend.id,
      context: options.context ?? {},
      stage: options.stage ?? 'signup',
      qualifyingOrder: options.qualifyingOrder ?? null,
    }, options.policy ?? defaults),
  );
}

/** The referral row the referral flow writes at sign-up, with the status the assessment decided. */
async function insertReferral(ctx: ServiceContext, programId: string, referrer: MemberView, friend: MemberView, context: ClientContext, assessment: ReferralAssessment) {
  const hashes = fingerprintHashes(ctx, context);
  const now = ctx.clock.now();
  const id = ctx.ids.next('rfl');
  await ctx.storage.db.insertInto('referrals').values({
    programId, id, referrerMemberId: referrer.id, friendMemberId: friend.id, code: referrer.referralCode,
    status: assessment.decision === 'reject' ? 'rejected' : assessment.decision === 'review' ? 'flagged' : 'signed_up',
    clickId: null, signupIpHash: hashes.ip, signupDeviceHash: hashes.deviceId, score: assessment.score,
    signals: JSON.stringify(assessment.signals), qualifyingOrderId: null, qualifyingTotalMinor: null, expiresAt: null,
    qualifiedAt: null, rewardedAt: null, endedAt: null, reason: null, review: null, referrerReward: null, friendReward: null,
    createdAt: now, updatedAt: now,
  }).execute();
  return id;
}

/** Enrols a referred friend, assesses the sign-up and records the referral, as the flow does. */
async function signUp(ctx: ServiceContext, programId: string, referrer: MemberView, options: { email?: string; context?: ClientContext; policy?: typeof defaults } = {}) {
  const friend = await enrol(ctx, programId, { ...options, referrer });
  const assessment = await assess(ctx, programId, referrer, friend, { context: options.context ?? {}, policy: options.policy });
  await insertReferral(ctx, programId, referrer, friend, options.context ?? {}, assessment);
  return { friend, assessment };
}

const names = (assessment: ReferralAssessment) => assessment.signals.map((s) => s.signal);
const label = (ctx: ServiceContext, kind: 'ip' | 'device', value: string) => {
  const hashes = fingerprintHashes(ctx, kind === 'ip' ? { ip: value } : { deviceId: value });
  return `${kind}#${(kind === 'ip' ? hashes.ip : hashes.deviceId)?.slice(0, 10)}`;
};

forEachDialect('referral fraud', (db) => {
  async function programWithReferrer(options: { email?: string; context?: ClientContext } = {}) {
    const { programId } = await givenProgram(db.ctx);
    const referrer = await enrol(db.ctx, programId, { email: 'anna.jansen@gmail.com', context: { ip: '198.51.100.4', deviceId: 'dev-anna' }, ...options });
    return { programId, referrer };
  }

  it('scores an honest referral 0 and rewards it', async () => {
    const { programId, referrer } = await programWithReferrer();
    const { assessment } = await signUp(db.ctx, programId, referrer, { email: 'bram@example.nl', context: { ip: '203.0.113.7', deviceId: 'dev-bram' } });
    expect(assessment).toEqual({ score: 0, decision: 'reward', signals: [] });
  });

  describe('same person', () => {
    it('rejects a friend whose address is a Gmail variant of the referrer\'s, and shows it masked', async () => {
      const { programId, referrer } = await programWithReferrer();
      const { assessment } = await signUp(db.ctx, programId, referrer, { email: 'Anna.Jansen+friend@googlemail.com', context: { ip: '203.0.113.7' } });
      expect(assessment).toEqual({ score: 100, decision: 'reject', signals: [{ signal: 'same_email_as_referrer', weight: 100, evidence: { canonicalEmail: 'an***@gmail.com' } }] });
    });

    it('does not confuse the same name at another provider', async () => {
      const { programId, referrer } = await programWithReferrer();
      const { assessment } = await signUp(db.ctx, programId, referrer, { email: 'anna.jansen@outlook.com', context: { ip: '203.0.113.7' } });
      expect(assessment.signals).toEqual([]);
    });

    it("flags a friend whose address is another member's in disguise, naming that member", async () => {
      const { programId, referrer } = await programWithReferrer();
      const other = await enrol(db.ctx, programId, { email: 'kees.devries@gmail.com' });
      const { assessment } = await signUp(db.ctx, programId, referrer, { email: 'keesdevries+2@gmail.com', context: { ip: '203.0.113.7' } });
      expect(assessment).toEqual({ score: 60, decision: 'review', signals: [{ signal: 'email_matches_other_member', weight: 60, evidence: { memberIds: [other.id] } }] });
      const honest = await signUp(db.ctx, programId, referrer, { email: 'kees.devries@example.nl', context: { ip: '203.0.113.8' } });
      expect(honest.assessment.signals).toEqual([]);
    });
  });

  describe('disposable address', () => {
    it('fires on a listed domain and on its subdomains, by the programme policy', async () => {
      const { programId, referrer } = await programWithReferrer();
      const { assessment } = await signUp(db.ctx, programId, referrer, { email: 'x@mailinator.com', context: { ip: '203.0.113.7' } });
      expect(assessment).toEqual({ score: 40, decision: 'reward', signals: [{ signal: 'disposable_email', weight: 40, evidence: { domain: 'mailinator.com' } }] });
      const strict = await signUp(db.ctx, programId, referrer, { email: 'y@eu.yopmail.com', context: { ip: '203.0.113.8' }, policy: { reviewAbove: 30, rejectAbove: 80 } });
      expect(strict.assessment).toMatchObject({ score: 40, decision: 'review', signals: [{ signal: 'disposable_email', evidence: { domain: 'eu.yopmail.com' } }] });
    });

    it('stays quiet on ordinary providers and company domains', async () => {
      const { programId, referrer } = await programWithReferrer();
      for (const email of ['piet@outlook.com', 'sanne@koffie-en-co.nl', 'joe@icloud.com']) {
        const { assessment } = await signUp(db.ctx, programId, referrer, { email, context: { ip: uniqueIp() } });
        expect(assessment.signals, email).toEqual([]);
      }
      expect(isDisposableDomain('mailinator.com.example.nl')).toBe(false);
    });
  });

  describe('same device or IP as the referrer', () => {
    it('flags the same device and shows only a truncated hash', async () => {
      const { programId, referrer } = await programWithReferrer();
      const { assessment } = await signUp(db.ctx, programId, referrer, { email: 'bram@example.nl', context: { ip: '203.0.113.7', deviceId: 'dev-anna' } });
      expect(assessment).toEqual({ score: 70, decision: 'review', signals: [{ signal: 'same_device_as_referrer', weight: 70, evidence: { deviceId: label(db.ctx, 'device', 'dev-anna') } }] });
      expect(JSON.stringify(assessment)).not.toContain('dev-anna');
    });

    it('lets the same household IP alone through, with the IP never shown', async () => {
      const { programId, referrer } = await programWithReferrer();
      const { assessment } = await signUp(db.ctx, programId, referrer, { email: 'bram@example.nl', context: { ip: '198.51.100.4', deviceId: 'dev-bram' } });
      expect(assessment).toEqual({ score: 30, decision: 'reward', signals: [{ signal: 'same_ip_as_referrer', weight: 30, evidence: { ip: label(db.ctx, 'ip', '198.51.100.4') } }] });
      expect(JSON.stringify(assessment)).not.toContain('198.51.100.4');
    });

    it('rejects the same device and IP together, and is quiet for another device and IP', async () => {
      const { programId, referrer } = await programWithReferrer();
      const same = await signUp(db.ctx, programId, referrer, { email: 'bram@example.nl', context: { ip: '198.51.100.4', deviceId: 'dev-anna' } });
      expect(same.assessment).toMatchObject({ score: 100, decision: 'reject' });
      const other = await signUp(db.ctx, programId, referrer, { email: 'carla@example.nl', context: { ip: '203.0.113.9', deviceId: 'dev-carla' } });
      expect(other.assessment.signals).toEqual([]);
    });

    it('at qualification also compares the sign-up device the referral recorded', async () => {
      const { programId, referrer } = await programWithReferrer();
      const { friend } = await signUp(db.ctx, programId, referrer, { email: 'bram@example.nl', context: { ip: '203.0.113.7', deviceId: 'dev-anna' } });
      db.clock.advanceDays(3);
      const later = await assess(db.ctx, programId, referrer, friend, { stage: 'qualification', context: {} });
      expect(names(later)).toEqual(['same_device_as_referrer']);
    });
  });

  describe('velocity', () => {
    it('fires code_velocity on the sixth sign-up on one code within the hour, not on six spread over hours', async () => {
      const { programId, referrer } = await programWithReferrer();
      const burst: ReferralAssessment[] = [];
      for (let i = 0; i < 6; i++) {
        burst.push((await signUp(db.ctx, programId, referrer, { email: `burst${i}@example.nl`, context: { ip: uniqueIp() } })).assessment);
        db.clock.current += 5 * 60_000;
      }
      expect(burst.slice(0, 5).every((a) => a.signals.length === 0)).toBe(true);
      expect(burst[5]).toEqual({ score: 30, decision: 'reward', signals: [{ signal: 'code_velocity', weight: 30, evidence: { signups: 6, max: 5, windowMinutes: 60 } }] });

      const calm = await programWithReferrer();
      for (let i = 0; i < 6; i++) {
        db.clock.current += 61 * 60_000;
        const { assessment } = await signUp(db.ctx, calm.programId, calm.referrer, { email: `calm${i}@example.nl`, context: { ip: uniqueIp() } });
        expect(assessment.signals).toEqual([]);
      }
    });

    it('at qualification counts the whole burst around the sign-up, so the first of a burst is caught too', async () => {
      const { programId, referrer } = await programWithReferrer();
      const friends: MemberView[] = [];
      for (let i = 0; i < 7; i++) {
        friends.push((await signUp(db.ctx, programId, referrer, { email: `b${i}@example.nl`, context: { ip: uniqueIp() } })).friend);
        db.clock.current += 60_000;
      }
      db.clock.advanceDays(20);
      const first = friends[0] as MemberView;
      expect(await assess(db.ctx, programId, referrer, first, { stage: 'qualification' })).toMatchObject({
        signals: [{ signal: 'code_velocity', evidence: { signups: 7, max: 5 } }],
      });
    });

    it('fires ip_velocity on the fourth referral from one IP within the hour, across referrers', async () => {
      const { programId } = await givenProgram(db.ctx);
      const results: ReferralAssessment[] = [];
      for (let i = 0; i < 4; i++) {
        const referrer = await enrol(db.ctx, programId, { email: `ref${i}@example.nl`, context: { ip: uniqueIp() } });
        results.push((await signUp(db.ctx, programId, referrer, { email: `fr${i}@example.nl`, context: { ip: '192.0.2.55' } })).assessment);
        db.clock.current += 10 * 60_000;
      }
      expect(results.slice(0, 3).every((a) => a.signals.length === 0)).toBe(true);
      expect(results[3]).toEqual({
        score: 30,
        decision: 'reward',
        signals: [{ signal: 'ip_velocity', weight: 30, evidence: { ip: label(db.ctx, 'ip', '192.0.2.55'), signups: 4, max: 3, windowMinutes: 60 } }],
      });
      db.clock.current += 2 * 60 * 60_000;
      const referrer = await enrol(db.ctx, programId, { email: 'late@example.nl', context: { ip: uniqueIp() } });
      expect((await signUp(db.ctx, programId, referrer, { email: 'late-friend@example.nl', context: { ip: '192.0.2.55' } })).assessment.signals).toEqual([]);
    });
  });

  describe('referral ring', () => {
    it('rejects accounts referring each other from one device, naming the ring', async () => {
      const { programId } = await givenProgram(db.ctx);
      const device = { deviceId: 'dev-farm' };
      const a = await enrol(db.ctx, programId, { email: 'a@example.nl', context: { ...device, ip: '192.0.2.1' } });
      const b = (await signUp(db.ctx, programId, a, { email: 'b@example.nl', context: { ...device, ip: '192.0.2.2' } })).friend;
      const { assessment } = await signUp(db.ctx, programId, b, { email: 'c@example.nl', context: { ...device, ip: '192.0.2.3' } });
      expect(assessment).toEqual({
        score: 130,
        decision: 'reject',
        signals: [
          { signal: 'same_device_as_referrer', weight: 70, evidence: { deviceId: label(db.ctx, 'device', 'dev-farm') } },
          { signal: 'referral_ring', weight: 60, evidence: { memberIds: [a.id], links: [`${a.id} up 1 link, same device`] } },
        ],
      });
    });

    it('catches a ring of five on one IP at qualification, the first account included', async () => {
      const { programId } = await givenProgram(db.ctx);
      const ip = '192.0.2.77';
      const seed = await enrol(db.ctx, programId, { email: 'seed@example.nl', context: { ip, deviceId: 'dev-0' } });
      const ring: { friend: MemberView; referrer: MemberView; assessment: ReferralAssessment }[] = [];
      let referrer = seed;
      for (let i = 1; i <= 5; i++) {
        db.clock.current += 2 * 60 * 60_000;
        const { friend, assessment } = await signUp(db.ctx, programId, referrer, { email: `ring${i}@example.nl`, context: { ip, deviceId: `dev-${i}` } });
        ring.push({ friend, referrer, assessment });
        referrer = friend;
      }
      expect(names(ring[0]?.assessment as ReferralAssessment)).toEqual(['same_ip_as_referrer']);
      expect(names(ring[2]?.assessment as ReferralAssessment)).toEqual(['same_ip_as_referrer', 'referral_ring']);
      db.clock.advanceDays(2);
      for (const link of ring) {
        const qualified = await assess(db.ctx, programId, link.referrer, link.friend, { stage: 'qualification' });
        expect(qualified.decision, link.friend.externalId).toBe('reject');
        expect(names(qualified)).toContain('referral_ring');
      }
      const first = await assess(db.ctx, programId, seed, ring[0]?.friend as MemberView, { stage: 'qualification' });
      expect(first.signals.find((s) => s.signal === 'referral_ring')?.evidence).toEqual({
        memberIds: ring.slice(1).map((l) => l.friend.id),
        links: ring.slice(1).map((l, i) => `${l.friend.id} down ${i + 1} link${i === 0 ? '' : 's'}, same IP`),
      });
    });

    it('leaves a family on one home network alone: relatives who joined years apart are no ring', async () => {
      const { programId } = await givenProgram(db.ctx);
      const home = '198.51.100.200';
      const grandma = await enrol(db.ctx, programId, { email: 'oma@example.nl', context: { ip: home, deviceId: 'dev-oma' } });
      db.clock.advanceDays(700);
      const mum = (await signUp(db.ctx, programId, grandma, { email: 'mum@example.nl', context: { ip: home, deviceId: 'dev-mum' } })).friend;
      db.clock.advanceDays(400);
      const { assessment } = await signUp(db.ctx, programId, mum, { email: 'kid@example.nl', context: { ip: home, deviceId: 'dev-kid' } });
      expect(assessment).toMatchObject({ score: 30, decision: 'reward' });
      expect(names(assessment)).toEqual(['same_ip_as_referrer']);
    });
  });

  describe('refund of the qualifying order', () => {
    it('rejects at qualification when the qualifying order was refunded, and not for an unrefunded one', async () => {
      const { programId, referrer } = await programWithReferrer();
      const { friend } = await signUp(db.ctx, programId, referrer, { email: 'bram@example.nl', context: { ip: '203.0.113.7' } });
      const refunded = await assess(db.ctx, programId, referrer, friend, { stage: 'qualification', qualifyingOrder: { orderId: 'order-9', refundedMinor: 2500 } });
      expect(refunded).toEqual({ score: 100, decision: 'reject', signals: [{ signal: 'qualifying_order_refunded', weight: 100, evidence: { orderId: 'order-9', refundedMinor: 2500 } }] });
      const kept = await assess(db.ctx, programId, referrer, friend, { stage: 'qualification', qualifyingOrder: { orderId: 'order-9', refundedMinor: 0 } });
      expect(kept).toEqual({ score: 0, decision: 'reward', signals: [] });
    });
  });

  describe('fingerprints and identities', () => {
    it('records the context at enrolment, one row per member and fingerprint, moving last_seen_at, never the raw values', async () => {
      const { programId, referrer } = await programWithReferrer();
      db.clock.advanceDays(1);
      await inTransaction(db.ctx.storage, (trx) => recordFingerprints(db.ctx, trx, programId, referrer.id, { ip: ' 198.51.100.4 ', deviceId: 'dev-anna', userAgent: 'Firefox' }, db.clock.now()));
      const rows = await db.ctx.storage.db.selectFrom('memberFingerprints').selectAll().where('memberId', '=', referrer.id).orderBy('kind').execute();
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.lastSeenAt - row.firstSeenAt).toBe(86_400_000);
        expect(['198.51.100.4', 'dev-anna']).not.toContain(row.valueHash);
      }
    });

    it('gives one identity index to the variants of one inbox, and none to a non-address', () => {
      const index = emailIdentityIndex(db.ctx, 'annajansen@gmail.com');
      expect(emailIdentityIndex(db.ctx, 'Anna.Jansen+x@googlemail.com')).toBe(index);
      expect(emailIdentityIndex(db.ctx, 'anna.jansen@outlook.com')).not.toBe(index);
      expect(emailIdentityIndex(db.ctx, null)).toBeNull();
      expect(emailIdentityIndex(db.ctx, 'not an address')).toBeNull();
    });

    it("refuses to assess members of another programme", async () => {
      const { referrer } = await programWithReferrer();
      const other = await programWithReferrer();
      const friend = await enrol(db.ctx, other.programId, { email: 'bram@example.nl', referrer: other.referrer });
      await expect(assess(db.ctx, other.programId, referrer, friend)).rejects.toMatchObject({ code: 'member_not_found' });
    });
  });

  describe('earn abuse beyond referrals', () => {
    it('counts orders refunded after earning and fires earn_then_refund from three, at least half the purchases', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await enrol(db.ctx, programId, { email: 'returner@example.nl' });
      const refund = (orderId: string) => recordEvent(db.ctx, programId, { id: uniqueId('refund'), type: 'refund', memberId: member.id, data: { orderId } });
      for (let i = 0; i < 4; i++) await givenPurchase(db.ctx, programId, member.id, 2000, { orderId: `ret-${i}` });
      await refund('ret-0');
      expect(await memberFraudView(db.ctx, programId, member.id)).toMatchObject({ refundedOrders: 1, signals: [] });
      await refund('ret-1');
      await refund('ret-2');
      const purchases = (await getMember(db.ctx, programId, member.id)).purchaseCount;
      expect(await memberFraudView(db.ctx, programId, member.id)).toEqual({
        refundedOrders: 3,
        purchases,
        earnedLast24h: 80,
        maxPointsPerDay: null,
        holds: { held: 0, approved: 0, rejected: 0 },
        signals: [{ signal: 'earn_then_refund', evidence: { refundedOrders: 3, purchases } }],
      });
      await expect(memberFraudView(db.ctx, programId, 'mbr_nobody')).rejects.toMatchObject({ code: 'member_not_found' });
    });
  });
});

let ipSequence = 0;
/** A fresh documentation-range IP per call, so unrelated sign-ups never share one. */
function uniqueIp(): string {
  ipSequence++;
  return `10.${(ipSequence >> 16) & 255}.${(ipSequence >> 8) & 255}.${ipSequence & 255}`;
}
