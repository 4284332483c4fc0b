import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { paths } from '../../api/schema';
import type { Role } from '../../api/types';
import { renderAdminPage, sampleProgram, sessionAs, stubApi } from '../../test-utils';
import { ReferralReviewPage } from './ReferralReviewPage';

type ReferralList = paths['/v1/referrals']['get']['responses'][200]['content']['application/json'];
type Referral = ReferralList['data'][number];

const base: Omit<Referral, 'id' | 'code' | 'score' | 'signals'> = {
  referrerId: 'mbr_anna',
  friendId: 'mbr_bram',
  status: 'flagged',
  qualifyingOrderId: null,
  qualifyingTotal: null,
  expiresAt: null,
  qualifiedAt: null,
  rewardDueAt: null,
  rewardedAt: null,
  endedAt: null,
  reason: null,
  review: null,
  referrerReward: null,
  friendReward: null,
  payoutFailure: null,
  createdAt: '2026-03-10T12:00:00.000Z',
  updatedAt: '2026-03-10T12:00:00.000Z',
};

/** Signals as services/referrals/lifecycle.ts stores them: the domain's FiredSignal plus the check's stage. */
const flagged: Referral = {
  ...base,
  id: 'ref_1',
  code: 'ANNA2026',
  score: 230,
  signals: [
    { signal: 'same_device_as_referrer', weight: 70, stage: 'signup', evidence: { deviceId: 'device#0a1b2c3d4e' } },
    { signal: 'ip_velocity', weight: 30, stage: 'signup', evidence: { ip: 'ip#ffee001122', signups: 5, max: 3, windowMinutes: 60 } },
    { signal: 'disposable_email', weight: 40, stage: 'signup', evidence: { domain: 'mailinator.com' } },
    {
      signal: 'referral_ring',
      weight: 60,
      stage: 'signup',
      evidence: { memberIds: ['mbr_carla'], links: ['mbr_carla up 2 links, same device'] },
    },
    { signal: 'qualifying_order_refunded', weight: 100, stage: 'qualification', evidence: { orderId: 'ord_77', refundedMinor: 1250 } },
    // A signal a newer server knows and this page does not.
    { signal: 'shared_payment_card', weight: 50, stage: 'qualification', evidence: { cardFingerprint: 'card#99aa', otherMembers: 2, seenBefore: true, where: { country: 'NL' } } },
  ],
};

const reviewed: Referral = {
  ...base,
  id: 'ref_2',
  code: 'BRAM2026',
  status: 'signed_up',
  score: 30,
  signals: [{ signal: 'same_ip_as_referrer', weight: 30, stage: 'signup', evidence: { ip: 'ip#1234567890' } }],
  review: { action: 'approve', reason: 'Siblings sharing the family tablet', at: '2026-03-11T09:30:00.000Z' },
};

/** A referral whose friend reward was switched off after the programme was saved: nothing was given. */
const failed: Referral = {
  ...base,
  id: 'ref_3',
  code: 'CARLA2026',
  status: 'reward_failed',
  score: 0,
  signals: [],
  qualifyingOrderId: 'ord_9',
  qualifyingTotal: 2500,
  qualifiedAt: '2026-03-12T10:00:00.000Z',
  reason: "The friend's reward rwd_gift cannot be given: the reward is inactive.",
  payoutFailure: { at: '2026-03-12T10:00:00.000Z', sides: [{ side: 'friend', rewardId: 'rwd_gift', reason: 'reward_inactive', detail: 'The reward is inactive.' }] },
};

const gift = {
  id: 'rwd_gift', name: { en: 'Welcome gift', nl: 'Welkomstcadeau' }, description: null, pointsCost: 100, kind: 'experience' as const, value: null, currency: null,
  maxDiscount: null, sku: null, stock: 3, redeemedCount: 0, imageUrl: null, limits: null, tiers: null, validFrom: null, validUntil: null, active: false,
  partnerId: null, audience: 'referral' as const, createdAt: '2026-03-01T00:00:00.000Z', updatedAt: '2026-03-12T00:00:00.000Z',
};

function stub(referral: Referral, extra: Parameters<typeof stubApi>[0] = {}, role: Role = 'support') {
  const list: ReferralList = { data: [referral], nextCursor: null };
  return stubApi({
    'GET /v1/auth/session': { status: 200, body: sessionAs(role) },
    'GET /v1/program': { status: 200, body: sampleProgram },
    'GET /v1/referrals': { status: 200, body: list },
    'GET /v1/rewards': { status: 200, body: { data: [gift], nextCursor: null } },
    ...extra,
  });
}

let current = stub(flagged);
vi.stubGlobal('fetch', (request: Request) => current.fetch(request));

/** The input of a Mantine Select by its label (its dropdown list carries the same label). */
const inputLabelled = (label: string | RegExp, container: HTMLElement = document.body) =>
  within(container).getAllByLabelText(label).find((element) => element.tagName === 'INPUT') as HTMLElement;

/** The labelled value `label` shows inside `container` (a description list). */
function valueOf(container: HTMLElement, label: string): string | null | undefined {
  return within(container).getAllByText(label).find((element) => element.tagName === 'DT')?.nextElementSibling?.textContent;
}

function signal(card: HTMLElement, label: string): HTMLElement {
  return within(card).getByText(label).closest('li')!;
}

describe('referral review', () => {
  it('shows the fraud score and every signal with its translated name, weight, stage and evidence as labelled values, never JSON', async () => {
    current = stub(flagged);
    renderAdminPage(<ReferralReviewPage />);
    const card = await screen.findByRole('article', { name: 'Referral with code ANNA2026' });
    expect(within(card).getByText('Fraud score 230')).toBeTruthy();

    const device = signal(card, 'Same device as the referrer');
    expect(within(device).getByText('+70')).toBeTruthy();
    expect(within(device).getByText('at sign-up')).toBeTruthy();
    expect(valueOf(device, 'Device (hashed)')).toBe('device#0a1b2c3d4e');

    const velocity = signal(card, 'Many sign-ups from one IP address');
    expect(valueOf(velocity, 'IP address (hashed)')).toBe('ip#ffee001122');
    expect(valueOf(velocity, 'Sign-ups in the window')).toBe('5');
    expect(valueOf(velocity, 'Limit in the window')).toBe('3');
    expect(valueOf(velocity, 'Window')).toBe('60 minutes');

    expect(valueOf(signal(card, 'Disposable e-mail domain'), 'Domain')).toBe('mailinator.com');

    const ring = signal(card, 'Referral ring');
    expect(within(ring).getByRole('link', { name: 'mbr_carla' }).getAttribute('href')).toBe('/members/mbr_carla');
    expect(valueOf(ring, 'How they are linked')).toBe("mbr_carla, 2 links up the referrer's chain: same device");

    const refunded = signal(card, 'Qualifying order refunded');
    expect(within(refunded).getByText('at qualification')).toBeTruthy();
    expect(valueOf(refunded, 'Order')).toBe('ord_77');
    expect(valueOf(refunded, 'Refunded')).toBe('€12.50');

    // An unknown signal still reads as words and labelled values.
    const unknown = signal(card, 'Shared payment card');
    expect(within(unknown).getByText('+50')).toBeTruthy();
    expect(valueOf(unknown, 'Card fingerprint')).toBe('card#99aa');
    expect(valueOf(unknown, 'Other members')).toBe('2');
    expect(valueOf(unknown, 'Seen before')).toBe('Yes');
    expect(valueOf(unknown, 'Country')).toBe('NL');

    const text = card.textContent ?? '';
    for (const raw of ['{', '"', 'same_device_as_referrer', 'windowMinutes', 'refundedMinor']) expect(text).not.toContain(raw);
  });

  it('shows a review decision as a sentence', async () => {
    current = stub(reviewed);
    renderAdminPage(<ReferralReviewPage />);
    const card = await screen.findByRole('article', { name: 'Referral with code BRAM2026' });
    expect(within(card).getByText(/^Approved on .*: Siblings sharing the family tablet$/)).toBeTruthy();
    expect(valueOf(signal(card, 'Same IP address as the referrer'), 'IP address (hashed)')).toBe('ip#1234567890');
    expect(card.textContent).not.toContain('{');
  });

  /** Chooses the failed payouts in the status list, as a support agent would. */
  async function showFailedPayouts() {
    await screen.findByRole('article');
    fireEvent.click(inputLabelled('Status'));
    fireEvent.click(await screen.findByRole('option', { name: 'Reward failed', hidden: true }));
  }

  it('lists failed payouts with the reason in words and pays one with Retry', async () => {
    const paid: Referral = { ...failed, status: 'rewarded', reason: null, payoutFailure: null, rewardedAt: '2026-03-15T12:00:00.000Z' };
    current = stub(failed, {
      'GET /v1/referrals': [
        { status: 200, body: { data: [failed], nextCursor: null } },
        { status: 200, body: { data: [failed], nextCursor: null } },
        { status: 200, body: { data: [], nextCursor: null } },
      ],
      'POST /v1/referrals/ref_3/retry-reward': { status: 200, body: paid },
    });
    renderAdminPage(<ReferralReviewPage />);
    await showFailedPayouts();
    const card = await screen.findByRole('article', { name: 'Referral with code CARLA2026' });
    expect(within(card).getByText('Reward failed')).toBeTruthy();
    expect(await within(card).findByText("The friend's reward Welcome gift: the reward is inactive")).toBeTruthy();
    expect(within(card).getByText(/^Nothing was given to either side\./)).toBeTruthy();
    expect(card.textContent).not.toContain('reward_inactive');
    const queues = current.requests.filter((r) => new URL(r.url).pathname === '/v1/referrals').map((r) => new URL(r.url).searchParams.get('status'));
    expect(queues).toEqual(['flagged', 'reward_failed']);

    fireEvent.click(within(card).getByRole('button', { name: 'Retry the reward' }));
    // Paid: the queue is read again and the referral has left it.
    await waitFor(() => expect(screen.queryByRole('article', { name: 'Referral with code CARLA2026' })).toBeNull());
    expect(current.requests.filter((r) => r.method === 'POST').map((r) => new URL(r.url).pathname)).toEqual(['/v1/referrals/ref_3/retry-reward']);
  });

  it("shows why a retry still failed, in the server's words, on that referral", async () => {
    const detail = "The friend's reward rwd_gift cannot be given: the reward is out of stock.";
    current = stub(failed, {
      'POST /v1/referrals/ref_3/retry-reward': { status: 422, body: { title: 'The reward cannot be given now', status: 422, code: 'reward_not_issuable', detail } },
    });
    renderAdminPage(<ReferralReviewPage />);
    await showFailedPayouts();
    const card = await screen.findByRole('article', { name: 'Referral with code CARLA2026' });
    fireEvent.click(within(card).getByRole('button', { name: 'Retry the reward' }));
    const alert = (await within(card).findByText(detail)).closest('[role="alert"]') as HTMLElement;
    expect(within(alert).getByText('The reward still cannot be given')).toBeTruthy();
    // Still in the queue, with its Retry button, for when the reward is fixed.
    expect(within(card).getByRole('button', { name: 'Retry the reward' })).toBeTruthy();
  });

  it('offers an analyst no Retry or review buttons: reading is not reviewing', async () => {
    current = stub(failed, {}, 'analyst');
    renderAdminPage(<ReferralReviewPage />);
    await showFailedPayouts();
    const card = await screen.findByRole('article', { name: 'Referral with code CARLA2026' });
    expect(await within(card).findByText("The friend's reward Welcome gift: the reward is inactive")).toBeTruthy();
    expect(within(card).queryByRole('button')).toBeNull();
  });
});
