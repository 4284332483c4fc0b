import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { paths } from '../../api/schema';
import type { Role } from '../../api/types';
import { renderAdminPage, sampleProgram, sessionAs, stubApi } from '../../test-utils';
import type { ReferralProgram, Reward } from './ReferralProgramForm';
import { ReferralProgramPage, type ReferralStats } from './ReferralProgramPage';

type RewardList = paths['/v1/rewards']['get']['responses'][200]['content']['application/json'];

let current = stubApi({});
vi.stubGlobal('fetch', (request: Request) => current.fetch(request));

// jsdom has no FontFaceSet; Mantine's autosizing textarea listens on it.
if (!('fonts' in document)) {
  Object.defineProperty(document, 'fonts', { value: { addEventListener: () => undefined, removeEventListener: () => undefined } });
}

const settings: ReferralProgram = {
  enabled: true,
  referrerReward: { points: 500 },
  friendReward: { rewardId: 'rwd_coffee' },
  qualification: { minOrderTotal: 2000, afterReturnWindow: true },
  validityDays: 30,
  landingUrl: 'https://koffie.example/welkom',
  caps: null,
  ladder: [{ from: 3, points: 800 }],
  fraud: { reviewAbove: 30, rejectAbove: 80 },
  messages: null,
  createdAt: '2026-01-10T09:00:00.000Z',
  updatedAt: '2026-02-01T09:00:00.000Z',
};

const coffee: Reward = {
  id: 'rwd_coffee',
  name: { en: 'Free coffee', nl: 'Gratis koffie' },
  description: null,
  pointsCost: 250,
  kind: 'free_product',
  value: null,
  currency: null,
  maxDiscount: null,
  sku: 'KOFFIE',
  stock: null,
  redeemedCount: 12,
  imageUrl: null,
  limits: null,
  tiers: null,
  validFrom: null,
  validUntil: null,
  active: true,
  partnerId: null,
  audience: 'catalogue',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const rewards: RewardList = { data: [coffee], nextCursor: null };

const stats: ReferralStats = {
  from: '2026-02-12T00:00:00.000Z',
  to: '2026-03-14T00:00:00.000Z',
  currency: 'EUR',
  clicks: 300,
  signUps: 40,
  qualified: 20,
  rewarded: 12,
  flagged: 3,
  rejected: 2,
  expired: 5,
  reversed: 1,
  conversion: { clickToSignup: 40 / 300, signupToQualified: 0.5, qualifiedToRewarded: 0.6, signupToRewarded: 0.3 },
  revenueOfReferredFriends: 123_450,
  cost: { points: 9000, coupons: 12, reversedPoints: 500 },
  newMembers: { total: 87, byReferral: 40, share: 40 / 87 },
  viral: { k: 0.0324, invitesPerMember: 0.243, inviteConversion: 40 / 300, membersAtStart: 1234 },
  topReferrers: [{ memberId: 'mbr_anna', rewarded: 4, signUps: 6 }],
};

function stubFor(role: Role, extra: Parameters<typeof stubApi>[0] = {}) {
  return stubApi({
    'GET /v1/auth/session': { status: 200, body: sessionAs(role) },
    'GET /v1/program': { status: 200, body: sampleProgram },
    'GET /v1/referral-program': { status: 200, body: settings },
    'GET /v1/referral-program/stats': { status: 200, body: stats },
    'GET /v1/rewards': { status: 200, body: rewards },
    ...extra,
  });
}

/** A fieldset by its legend, or the ladder step (a group) by its label. Role queries over the whole form are slow. */
const group = (name: string) => within((screen.queryByText(name, { selector: 'legend' })?.closest('fieldset') ?? screen.getByLabelText(name)) as HTMLElement);
const puts = () => current.requests.filter((request) => request.method === 'PUT' && request.url.endsWith('/v1/referral-program'));
const statsRequests = () => current.requests.filter((request) => new URL(request.url).pathname === '/v1/referral-program/stats');
const days = (request: Request) => {
  const query = new URL(request.url).searchParams;
  return Math.round((Date.parse(query.get('to')!) - Date.parse(query.get('from')!)) / 86_400_000);
};

/** The value of a setting in the summary (a description list). */
function setting(label: string): string | null | undefined {
  return screen.getAllByText(label).find((element) => element.tagName === 'DT')?.nextElementSibling?.textContent;
}

// Every keystroke re-renders the whole Mantine form, which jsdom does in a few hundred milliseconds on a slow
// machine; these tests type a dozen values, so they get more than the default five seconds.
describe('referral programme page', { timeout: 20_000 }, () => {
  beforeEach(() => {
    current = stubApi({});
  });

  it('shows the settings in words, and a manager changes rewards, money, the cap, the ladder and a message and saves them all', async () => {
    const saved: ReferralProgram = {
      ...settings,
      referrerReward: { points: 600 },
      qualification: { minOrderTotal: 2550, afterReturnWindow: true },
      caps: { perReferrer: { count: 5, period: 'month' } },
      ladder: [{ from: 3, points: 800 }, { from: 4, points: 1200 }],
      messages: { nl: 'Kom ook sparen: {link}' },
      updatedAt: '2026-03-14T09:00:00.000Z',
    };
    current = stubFor('manager', { 'PUT /v1/referral-program': { status: 200, body: saved } });
    renderAdminPage(<ReferralProgramPage />);

    await screen.findByText('Free coffee, as a coupon');
    expect(setting('Reward for the referrer')).toBe('500 points');
    expect(setting('Reward for the friend')).toBe('Free coffee, as a coupon');
    expect(setting('Qualification')).toBe('A first order of at least €20.00 within 30 days of signing up');
    expect(setting("Referrer's points by successful referrals")).toBe('From 3 successful referrals: 800 points');
    expect(setting('Limit per referrer')).toBe('No limit');
    expect(setting('Fraud check')).toBe('Flagged for review above a score of 30, rejected above 80');

    fireEvent.click(await screen.findByRole('button', { name: 'Edit settings' }));
    fireEvent.change(group('Reward for the referrer').getByRole('textbox', { name: /^Points/ }), { target: { value: '600' } });
    // Money is typed in euros and sent in cents.
    const minimum = screen.getByLabelText(/^Minimum order total \(EUR\)/) as HTMLInputElement;
    expect(minimum.value).toBe('20');
    fireEvent.change(minimum, { target: { value: '25.50' } });
    fireEvent.click(screen.getByLabelText('Limit the rewarded referrals of each referrer'));
    fireEvent.change(screen.getByLabelText(/^At most/), { target: { value: '5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add a step' }));
    expect((group('Step 2').getByLabelText(/^From successful referrals/) as HTMLInputElement).value).toBe('4');
    fireEvent.change(group('Step 2').getByLabelText(/^Referrer's points/), { target: { value: '1200' } });
    fireEvent.change(screen.getByLabelText('Message (Nederlands)'), { target: { value: 'Kom ook sparen: {link}' } });

    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(puts()).toHaveLength(1));
    expect(await puts()[0]!.clone().json()).toEqual({
      enabled: true,
      referrerReward: { points: 600 },
      friendReward: { rewardId: 'rwd_coffee' },
      qualification: { minOrderTotal: 2550, afterReturnWindow: true },
      validityDays: 30,
      landingUrl: 'https://koffie.example/welkom',
      caps: { perReferrer: { count: 5, period: 'month' } },
      ladder: [{ from: 3, points: 800 }, { from: 4, points: 1200 }],
      fraud: { reviewAbove: 30, rejectAbove: 80 },
      messages: { nl: 'Kom ook sparen: {link}' },
    });

    // Back to the summary, with what the server saved.
    await screen.findByRole('button', { name: 'Edit settings' });
    expect(setting('Reward for the referrer')).toBe('600 points');
    expect(setting('Limit per referrer')).toBe('At most 5 rewarded referrals per referrer per month');
    expect(setting('Qualification')).toBe('A first order of at least €25.50 within 30 days of signing up');
  });

  it("shows a refused catalogue reward under the friend's reward", async () => {
    const detail = "No reward rwd_coffee in this programme's catalogue.";
    current = stubFor('owner', {
      'PUT /v1/referral-program': {
        status: 404,
        body: { title: 'No such reward', status: 404, code: 'reward_not_found', detail, errors: [{ pointer: '/friendReward/rewardId', detail }] },
      },
    });
    renderAdminPage(<ReferralProgramPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit settings' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));

    const friend = group('Reward for the friend');
    const message = await friend.findByText(detail);
    const field = friend.getByLabelText(/^Reward/);
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(field.getAttribute('aria-describedby')?.split(' ')).toContain(message.id);
    expect(group('Reward for the referrer').queryByText(detail)).toBeNull();
  });

  it('offers the referral-only rewards first, then the catalogue, from the list of all rewards', async () => {
    const welcome: Reward = { ...coffee, id: 'rwd_welcome', name: { en: 'Welcome gift', nl: 'Welkomstcadeau' }, audience: 'referral' };
    current = stubFor('owner', { 'GET /v1/rewards': { status: 200, body: { data: [coffee, welcome], nextCursor: null } } });
    renderAdminPage(<ReferralProgramPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit settings' }));
    fireEvent.click(group('Reward for the friend').getByLabelText(/^Reward/));
    const listbox = await screen.findByRole('listbox');
    expect([...listbox.querySelectorAll('[role="option"], .mantine-Select-groupLabel')].map((element) => element.textContent)).toEqual([
      'Referral programme only', 'Welcome gift', 'Catalogue (for points)', 'Free coffee',
    ]);
    const queries = current.requests.filter((request) => new URL(request.url).pathname === '/v1/rewards').map((request) => new URL(request.url).searchParams.get('audience'));
    expect(new Set(queries)).toEqual(new Set(['all']));
  });

  it("shows a reward that cannot be given under the friend's reward", async () => {
    const detail = 'The reward rwd_coffee cannot be given: the reward is inactive.';
    current = stubFor('owner', {
      'PUT /v1/referral-program': {
        status: 422,
        body: { title: 'The reward cannot be given now', status: 422, code: 'reward_not_issuable', detail, errors: [{ pointer: '/friendReward/rewardId', detail }] },
      },
    });
    renderAdminPage(<ReferralProgramPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit settings' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    const friend = group('Reward for the friend');
    expect(await friend.findByText(detail)).toBeTruthy();
    expect(friend.getByLabelText(/^Reward/).getAttribute('aria-invalid')).toBe('true');
  });

  it('shows the funnel with the conversion of each step, the figures and the top referrers, for the chosen period', async () => {
    current = stubFor('analyst');
    renderAdminPage(<ReferralProgramPage />);

    const funnel = within(await screen.findByRole('table', { name: 'From click to reward' }));
    const row = (step: string) => funnel.getByRole('rowheader', { name: step }).closest('tr')!.textContent;
    expect(row('Link clicks')).toBe('Link clicks300');
    expect(row('Sign-ups')).toBe('Sign-ups4013.3%');
    expect(row('Qualified')).toBe('Qualified2050%');
    expect(row('Rewarded')).toBe('Rewarded1260%');
    expect(screen.getByText('30% of the sign-ups were rewarded.')).toBeTruthy();
    expect(screen.getByText('€1,234.50')).toBeTruthy();
    expect(screen.getByText('40 of 87 (46%)')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'mbr_anna' }).getAttribute('href')).toBe('/members/mbr_anna');

    // Read-only for an analyst.
    expect(await screen.findByText('You can read these settings; owners and managers change them.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Edit settings' })).toBeNull();

    expect(days(statsRequests()[0]!)).toBe(30);
    fireEvent.click(screen.getByText('7 days'));
    await waitFor(() => expect(statsRequests()).toHaveLength(2));
    expect(days(statsRequests()[1]!)).toBe(7);
  });

  it('lets an owner set up a programme that has none, switched off until they turn it on', async () => {
    current = stubFor('owner', {
      'GET /v1/referral-program': { status: 404, body: { title: 'No such referral', status: 404, code: 'referral_not_found', detail: 'No referral programme yet.' } },
      'PUT /v1/referral-program': { status: 200, body: { ...settings, enabled: false } },
    });
    renderAdminPage(<ReferralProgramPage />);
    expect(await screen.findByText('This programme has no referral programme yet.')).toBeTruthy();
    fireEvent.click(await screen.findByRole('button', { name: 'Set up the referral programme' }));

    // Rewards and the landing page have no sensible default: they are asked for before anything is sent.
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect((await screen.findAllByText('Required')).length).toBe(3);
    expect(puts()).toHaveLength(0);

    fireEvent.change(group('Reward for the referrer').getByRole('textbox', { name: /^Points/ }), { target: { value: '500' } });
    fireEvent.change(group('Reward for the friend').getByRole('textbox', { name: /^Points/ }), { target: { value: '250' } });
    fireEvent.change(screen.getByLabelText(/^Landing page/), { target: { value: 'https://koffie.example/welkom' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(puts()).toHaveLength(1));
    expect(await puts()[0]!.clone().json()).toEqual({
      enabled: false,
      referrerReward: { points: 500 },
      friendReward: { points: 250 },
      qualification: { minOrderTotal: 0, afterReturnWindow: true },
      validityDays: 30,
      landingUrl: 'https://koffie.example/welkom',
      caps: null,
      ladder: null,
      fraud: { reviewAbove: 30, rejectAbove: 80 },
      messages: null,
    });
  });
});
