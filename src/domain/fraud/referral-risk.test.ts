import { describe, expect, it } from 'vitest';
import { assessReferral, defaultReferralRiskPolicy, type ReferralFacts } from './referral-risk.js';

const honest: ReferralFacts = {
  friend: { emailCanonical: 'bram@example.nl', emailDomain: 'example.nl', ip: '203.0.113.7', deviceId: 'dev-friend' },
  referrer: { memberId: 'mbr_ref', emailCanonical: 'anna@gmail.com', ips: ['198.51.100.4'], deviceIds: ['dev-ref'] },
  disposableDomain: false,
  membersWithSameEmail: [],
  signupsOnCodeInWindow: 1,
  signupsFromIpInWindow: 1,
  ringMembers: [],
};

describe('assessReferral', () => {
  it('rewards an honest referral with no signals', () => {
    expect(assessReferral(honest)).toEqual({ score: 0, decision: 'reward', signals: [] });
  });

  it('rejects a self-referral by address variant and names the address', () => {
    const result = assessReferral({ ...honest, friend: { ...honest.friend, emailCanonical: 'anna@gmail.com', emailDomain: 'gmail.com' } });
    expect(result).toEqual({ score: 100, decision: 'reject', signals: [{ signal: 'same_email_as_referrer', weight: 100, evidence: { canonicalEmail: 'anna@gmail.com' } }] });
  });

  it('lets a shared household IP alone through, but not with a disposable address', () => {
    const sameIp = { ...honest, friend: { ...honest.friend, ip: '198.51.100.4' } };
    expect(assessReferral(sameIp)).toMatchObject({ score: 30, decision: 'reward' });
    expect(assessReferral({ ...sameIp, disposableDomain: true })).toMatchObject({
      score: 70,
      decision: 'review',
      signals: [
        { signal: 'disposable_email', evidence: { domain: 'example.nl' } },
        { signal: 'same_ip_as_referrer', evidence: { ip: '198.51.100.4' } },
      ],
    });
  });

  it('flags the same device and rejects it together with the same IP', () => {
    const sameDevice = { ...honest, friend: { ...honest.friend, deviceId: 'dev-ref' } };
    expect(assessReferral(sameDevice).decision).toBe('review');
    expect(assessReferral({ ...sameDevice, friend: { ...sameDevice.friend, ip: '198.51.100.4' } })).toMatchObject({ score: 100, decision: 'reject' });
  });

  it('fires velocity only above the limits', () => {
    const { maxSignupsPerCode, maxSignupsPerIp } = defaultReferralRiskPolicy;
    expect(assessReferral({ ...honest, signupsOnCodeInWindow: maxSignupsPerCode, signupsFromIpInWindow: maxSignupsPerIp }).signals).toEqual([]);
    expect(assessReferral({ ...honest, signupsOnCodeInWindow: maxSignupsPerCode + 1 }).signals.map((s) => s.signal)).toEqual(['code_velocity']);
    expect(assessReferral({ ...honest, signupsFromIpInWindow: maxSignupsPerIp + 1 }).signals.map((s) => s.signal)).toEqual(['ip_velocity']);
  });

  it('rejects a referral whose qualifying order was refunded', () => {
    expect(assessReferral({ ...honest, qualifyingOrderRefunded: { orderId: 'o-1', refundedMinor: 2500 } })).toMatchObject({
      decision: 'reject',
      signals: [{ signal: 'qualifying_order_refunded', evidence: { orderId: 'o-1', refundedMinor: 2500 } }],
    });
  });

  it('follows the programme policy thresholds and weights', () => {
    const strict = { ...defaultReferralRiskPolicy, reviewAbove: 10, rejectAbove: 25 };
    expect(assessReferral({ ...honest, friend: { ...honest.friend, ip: '198.51.100.4' } }, strict).decision).toBe('reject');
  });
});
