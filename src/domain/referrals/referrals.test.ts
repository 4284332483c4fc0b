import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { checkVanityCode, codeSkeleton } from './codes.js';
import { canTransition, capReached, ladderProgress, orderStillQualifies, referrerPoints } from './referral.js';
import { checkReferralSettings, type ReferralSettingsInput } from './settings.js';
import { landingUrlWithCode, maskEmail, maskName, shareKit, shareLocale } from './share.js';
import { conversionRates, viralCoefficient } from './stats.js';

const base: ReferralSettingsInput = {
  enabled: true,
  referrerReward: { points: 500 },
  friendReward: { points: 250 },
  qualification: { minOrderTotal: 2_000, afterReturnWindow: false },
  validityDays: 30,
  landingUrl: 'https://shop.example/join',
};

function pointerOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as DomainError).errors[0]?.pointer;
  }
  return undefined;
}

describe('referral settings', () => {
  it('fills in defaults: no caps, no ladder, the default fraud thresholds', () => {
    expect(checkReferralSettings(base)).toMatchObject({ caps: null, ladder: null, fraud: { reviewAbove: 30, rejectAbove: 80 }, messages: null });
  });

  it('names the field of each refusal', () => {
    expect(pointerOf(() => checkReferralSettings({ ...base, landingUrl: 'ftp://shop.example' }))).toBe('/landingUrl');
    expect(pointerOf(() => checkReferralSettings({ ...base, landingUrl: 'not a url' }))).toBe('/landingUrl');
    expect(pointerOf(() => checkReferralSettings({ ...base, ladder: [{ from: 3, points: 1 }, { from: 3, points: 2 }] }))).toBe('/ladder/1/from');
    expect(pointerOf(() => checkReferralSettings({ ...base, fraud: { reviewAbove: 50, rejectAbove: 50 } }))).toBe('/fraud/rejectAbove');
    expect(pointerOf(() => checkReferralSettings({ ...base, friendReward: { points: 0 } }))).toBe('/friendReward/points');
    expect(pointerOf(() => checkReferralSettings({ ...base, qualification: { minOrderTotal: -1, afterReturnWindow: false } }))).toBe('/qualification/minOrderTotal');
  });
});

describe('the referral state machine and reward arithmetic', () => {
  it('allows only the documented transitions', () => {
    expect(canTransition('signed_up', 'qualified')).toBe(true);
    expect(canTransition('flagged', 'signed_up')).toBe(true);
    expect(canTransition('rewarded', 'reversed')).toBe(true);
    expect(canTransition('rewarded', 'rejected')).toBe(false);
    expect(canTransition('expired', 'qualified')).toBe(false);
    expect(canTransition('reversed', 'rewarded')).toBe(false);
    // A failed payout is reached from where a payout starts, and left only by a paid retry or a rejection.
    for (const from of ['signed_up', 'qualified', 'flagged'] as const) expect(canTransition(from, 'reward_failed')).toBe(true);
    expect(canTransition('reward_failed', 'rewarded')).toBe(true);
    expect(canTransition('reward_failed', 'rejected')).toBe(true);
    expect(canTransition('reward_failed', 'reversed')).toBe(false);
    expect(canTransition('rewarded', 'reward_failed')).toBe(false);
  });

  it('takes the highest ladder step reached, else the base points', () => {
    const ladder = [{ from: 1, points: 500 }, { from: 5, points: 750 }, { from: 10, points: 1_000 }];
    expect([1, 4, 5, 9, 10, 40].map((n) => referrerPoints({ points: 300 }, ladder, n))).toEqual([500, 500, 750, 750, 1_000, 1_000]);
    expect(referrerPoints({ points: 300 }, [{ from: 3, points: 900 }], 2)).toBe(300);
    expect(referrerPoints({ rewardId: 'rwd_1' }, null, 2)).toBeNull();
    expect(ladderProgress(ladder, 6)).toEqual({ count: 6, nextStep: { from: 10, points: 1_000 } });
    expect(ladderProgress(null, 6)).toEqual({ count: 6, nextStep: null });
  });

  it('counts the cap in the period of the programme timezone', () => {
    const cap = { count: 2, period: 'month' as const };
    // 21:45Z on 31 March is 23:45 in Amsterdam, still March; 22:30Z is 00:30 on 1 April there: a new month.
    const march = [Date.parse('2026-03-02T10:00:00Z'), Date.parse('2026-03-31T21:30:00Z')];
    expect(capReached(cap, march, Date.parse('2026-03-31T21:45:00Z'), 'Europe/Amsterdam')).toBe(true);
    expect(capReached(cap, march, Date.parse('2026-03-31T22:30:00Z'), 'Europe/Amsterdam')).toBe(false);
    expect(capReached(null, march, Date.parse('2026-03-31T21:45:00Z'), 'Europe/Amsterdam')).toBe(false);
  });

  it('an order stops qualifying when refunded in full or below the minimum', () => {
    expect(orderStillQualifies({ totalMinor: 5_000, refundedMinor: 1_000 }, 2_000)).toBe(true);
    expect(orderStillQualifies({ totalMinor: 5_000, refundedMinor: 3_001 }, 2_000)).toBe(false);
    expect(orderStillQualifies({ totalMinor: 5_000, refundedMinor: 5_000 }, 0)).toBe(false);
  });
});

describe('vanity codes', () => {
  it('accepts 4–16 letters and digits, upper-cased', () => {
    expect(checkVanityCode(' koffie26 ')).toEqual({ ok: true, code: 'KOFFIE26' });
    expect(checkVanityCode('abc')).toEqual({ ok: false, reason: 'format' });
    expect(checkVanityCode('a'.repeat(17))).toEqual({ ok: false, reason: 'format' });
    expect(checkVanityCode('anna_25')).toEqual({ ok: false, reason: 'format' });
  });

  it('refuses profanity, also in leetspeak and Dutch, and leaves innocent words alone', () => {
    for (const code of ['FUCK2026', 'B1TCHES', 'SH1T', 'KUTSHOP', 'KLOOTZAK1']) expect(checkVanityCode(code)).toEqual({ ok: false, reason: 'profanity' });
    for (const code of ['CLASSIC', 'ASSESS', 'SCUNTHORPE', 'ANNA2026', 'KOFFIE']) expect(checkVanityCode(code).ok).toBe(true);
  });

  it('folds look-alike characters into one skeleton', () => {
    expect(codeSkeleton('B0B2025')).toBe(codeSkeleton('BOBZOZS'));
    expect(codeSkeleton('ANNA1')).toBe(codeSkeleton('annal'));
    expect(codeSkeleton('ANNA1')).not.toBe(codeSkeleton('ANNA7'));
  });
});

describe('sharing and masking', () => {
  it('builds share URLs with the message in the member locale, programme messages first', () => {
    const link = 'https://loyalty.example/r/prg_1/ANNA26';
    const kit = shareKit(link, 'ANNA26', 'nl-BE', null);
    expect(kit.locale).toBe('nl');
    expect(kit.message).toBe(`Doe mee en krijg een welkomstbeloning: ${link} (code ANNA26)`);
    expect(kit.urls.whatsapp).toBe(`https://wa.me/?text=${encodeURIComponent(kit.message)}`);
    expect(kit.urls.x).toBe(`https://x.com/intent/post?text=${encodeURIComponent('Doe mee en krijg een welkomstbeloning:  (code ANNA26)')}&url=${encodeURIComponent(link)}`);
    expect(kit.urls.facebook).toBe(`https://www.facebook.com/sharer/sharer.php?u=${encodeURIComponent(link)}`);
    expect(kit.urls.email).toBe(`mailto:?subject=${encodeURIComponent('Een cadeautje voor jou')}&body=${encodeURIComponent(kit.message)}`);
    const own = shareKit(link, 'ANNA26', 'en', { en: 'Coffee on me!' });
    expect(own.message).toBe(`Coffee on me! ${link}`);
    expect(shareLocale('de')).toBe('en');
  });

  it('masks names and addresses', () => {
    expect(maskName('Anna de Vries')).toBe('A*** d*** V***');
    expect(maskName('  Émile ')).toBe('É***');
    expect(maskEmail('anna@example.com')).toBe('a***@example.com');
    expect(maskEmail('nonsense')).toBe('***');
  });

  it('adds the code to the landing page, keeping its query and fragment', () => {
    expect(landingUrlWithCode('https://shop.example/join?lang=nl#top', 'ANNA26')).toBe('https://shop.example/join?lang=nl&ref=ANNA26#top');
  });
});

describe('funnel ratios', () => {
  it('computes conversions and K, null where a divisor is zero', () => {
    expect(conversionRates({ clicks: 10, signups: 4, qualified: 3, rewarded: 3 })).toEqual({
      clickToSignup: 0.4, signupToQualified: 0.75, qualifiedToRewarded: 1, signupToRewarded: 0.75,
    });
    expect(viralCoefficient({ clicks: 10, signups: 4, membersAtStart: 4 })).toEqual({ k: 1, invitesPerMember: 2.5, inviteConversion: 0.4 });
    expect(viralCoefficient({ clicks: 0, signups: 2, membersAtStart: 0 })).toEqual({ k: null, invitesPerMember: null, inviteConversion: null });
  });
});
