import { describe, expect, it } from 'vitest';
import { assessReferral, defaultReferralRiskPolicy, ringLinkOf, ringMembersOf, type ChainMember, type ReferralFacts } from './referral-risk.js';

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

describe('assessReferral with hashed values', () => {
  it('shows compared values through their labels, never the value itself', () => {
    const result = assessReferral({
      ...honest,
      friend: { ...honest.friend, ip: 'hash-ip-ref', deviceId: 'hash-dev-ref', emailCanonical: 'hash-mail' },
      referrer: { ...honest.referrer, ips: ['hash-ip-ref'], deviceIds: ['hash-dev-ref'], emailCanonical: 'hash-mail' },
      labels: { 'hash-ip-ref': 'ip#hash-i', 'hash-dev-ref': 'device#hash-d', 'hash-mail': 'an***@gmail.com' },
    });
    expect(result.signals).toEqual([
      { signal: 'same_email_as_referrer', weight: 100, evidence: { canonicalEmail: 'an***@gmail.com' } },
      { signal: 'same_device_as_referrer', weight: 70, evidence: { deviceId: 'device#hash-d' } },
      { signal: 'same_ip_as_referrer', weight: 30, evidence: { ip: 'ip#hash-i' } },
    ]);
  });

  it("compares the friend's other devices and IPs with the referrer's too", () => {
    const result = assessReferral({ ...honest, friend: { ...honest.friend, otherDeviceIds: ['dev-old', 'dev-ref'], otherIps: ['192.0.2.1'] } });
    expect(result).toMatchObject({ score: 70, decision: 'review', signals: [{ signal: 'same_device_as_referrer', evidence: { deviceId: 'dev-ref' } }] });
  });

  it('names the ring members and how they are linked', () => {
    const result = assessReferral({ ...honest, ringMembers: ['mbr_a'], ringLinks: ['mbr_a up 2 links, same device'] });
    expect(result).toMatchObject({ score: 60, decision: 'review', signals: [{ signal: 'referral_ring', evidence: { memberIds: ['mbr_a'], links: ['mbr_a up 2 links, same device'] } }] });
  });
});

describe('ringMembersOf', () => {
  const day = 86_400_000;
  const enrolledAt = Date.parse('2026-03-15T12:00:00Z');
  const member = (memberId: string, over: Partial<ChainMember> = {}): ChainMember => ({
    memberId, direction: 'up', depth: 1, enrolledAt: enrolledAt - day, sharesDevice: false, sharesIp: false, ...over,
  });

  it('is a ring when one chain member shares the device, however old', () => {
    const chain = [member('mbr_a', { sharesDevice: true, enrolledAt: enrolledAt - 400 * day })];
    expect(ringMembersOf(chain, enrolledAt).map((m) => m.memberId)).toEqual(['mbr_a']);
    expect(ringLinkOf(chain[0] as ChainMember)).toBe('mbr_a up 1 link, same device');
  });

  it('needs two chain members on the same IP within the window', () => {
    expect(ringMembersOf([member('mbr_a', { sharesIp: true })], enrolledAt)).toEqual([]);
    const two = [member('mbr_a', { sharesIp: true }), member('mbr_b', { sharesIp: true, direction: 'down', depth: 2, enrolledAt: enrolledAt + day })];
    expect(ringMembersOf(two, enrolledAt).map((m) => m.memberId)).toEqual(['mbr_a', 'mbr_b']);
  });

  it('leaves out a household: relatives on the same IP who enrolled long before', () => {
    const family = [member('mbr_grandma', { sharesIp: true, depth: 1, enrolledAt: enrolledAt - 900 * day }), member('mbr_great', { sharesIp: true, depth: 2, enrolledAt: enrolledAt - 2000 * day })];
    expect(ringMembersOf(family, enrolledAt)).toEqual([]);
  });

  it('follows at most ringMaxDepth links and ignores members who share nothing', () => {
    expect(ringMembersOf([member('mbr_far', { sharesDevice: true, depth: 6 }), member('mbr_x', { depth: 1 })], enrolledAt)).toEqual([]);
    expect(ringMembersOf([member('mbr_far', { sharesDevice: true, depth: 6 })], enrolledAt, { ringMaxDepth: 6, ringWindowDays: 7 })).toHaveLength(1);
  });
});
