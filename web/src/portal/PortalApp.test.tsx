import { focusManager } from '@tanstack/react-query';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createPortalClient } from '../api/client';
import { renderWithProviders, stubApi } from '../test-utils';
import type { paths } from '../api/schema';
import type { PortalMe } from '../api/types';
import { PortalApp } from './PortalApp';

type Json<P extends keyof paths, M extends 'get' | 'post' | 'put', S extends number> = paths[P][M] extends { responses: { [K in S]: { content: { 'application/json': infer T } } } } ? T : never;

// Fixtures typed from the generated schema, so they cannot drift from what the server sends.
const me: PortalMe = {
  externalId: 'anna-1',
  name: 'Anna',
  email: 'anna@example.com',
  locale: 'en',
  status: 'active',
  program: { name: 'Koffiebar Demo', pointsName: 'bonen', currency: 'EUR' },
  balance: { available: 320, pending: 25, lifetimeEarned: 900, expiring: [{ points: 40, expiresAt: '2030-03-01T00:00:00Z' }] },
  tier: 'Brons',
  tierProgress: { metric: 'points_earned', current: 320, needed: 80, nextTier: 'Zilver', qualifiedTier: 'Brons', reviewAt: null },
  perks: [],
  referralCode: 'ANNA1',
  memberSince: '2025-01-01T00:00:00Z',
};

const reward = (id: string, name: string, pointsCost: number, affordable: boolean, imageUrl: string | null = null) => ({
  id,
  name,
  description: null,
  pointsCost,
  kind: 'free_product',
  value: null,
  currency: null,
  stock: null,
  validUntil: null,
  imageUrl,
  affordable,
});
const rewards: Json<'/v1/portal/{slug}/rewards', 'get', 200> = {
  data: [reward('rwd_1', 'Free coffee', 300, true, '/media/prg_1/rwd_1/0123456789abcdef'), reward('rwd_2', 'Roastery tour', 2000, false)],
};
const history: Json<'/v1/portal/{slug}/history', 'get', 200> = {
  data: [
    // One purchase booked as two lines (the rule's points and the tier bonus): the member sees one movement.
    { transactionId: 'ltx_1', kind: 'earn', account: 'member_pending', points: 20, lotId: 'lot_1', ruleId: 'rul_1', ruleVersion: 1, eventId: 'e1', reason: 'purchase event e1', createdAt: '2025-02-01T10:00:00Z' },
    { transactionId: 'ltx_1', kind: 'earn', account: 'member_pending', points: 5, lotId: 'lot_1', ruleId: null, ruleVersion: null, eventId: 'e1', reason: 'purchase event e1', createdAt: '2025-02-01T10:00:00Z' },
  ],
  nextCursor: null,
};
const consents: Json<'/v1/portal/{slug}/consents', 'get', 200> = {
  marketingEmail: true,
  marketingSms: false,
  personalisedOffers: false,
  changedAt: { marketingEmail: '2025-01-01T00:00:00Z', marketingSms: null, personalisedOffers: null },
};

const portalRoutes = {
  'GET /v1/portal/koffiebar/me': { status: 200, body: me },
  'GET /v1/portal/koffiebar/rewards': { status: 200, body: rewards },
  'POST /v1/portal/koffiebar/redemptions': { status: 201, body: { id: 'rdm_1', coupon: { code: 'KOF-7H2Q9', expiresAt: null } } },
  'GET /v1/portal/koffiebar/history': { status: 200, body: history },
  'GET /v1/portal/koffiebar/referrals': { status: 200, body: { code: 'ANNA1', enabled: true, friends: [], pointsEarned: 0, share: null } },
  'GET /v1/portal/koffiebar/consents': { status: 200, body: consents },
};

describe('member portal', () => {
  it('asks to come through the shop when there is no token', () => {
    renderWithProviders(<PortalApp slug="koffiebar" token={null} />);
    expect(screen.getByText('Sign in through the shop')).toBeTruthy();
  });

  it('shows balance, pending and expiring points, and the tier progress', async () => {
    const api = stubApi(portalRoutes);
    renderWithProviders(<PortalApp slug="koffiebar" token="t" client={createPortalClient('t', { baseUrl: 'http://localhost', fetch: api.fetch })} />);
    expect(await screen.findByText('320')).toBeTruthy();
    expect(screen.getByText('25 on their way')).toBeTruthy();
    expect(screen.getByText(/40 expire on/)).toBeTruthy();
    expect(screen.getByText('80 more to reach Zilver')).toBeTruthy();
    expect(screen.getByRole('progressbar', { name: 'Progress to Zilver' })).toBeTruthy();
  });

  it('shows the history as one line per movement, and the consents by purpose', async () => {
    const api = stubApi(portalRoutes);
    renderWithProviders(<PortalApp slug="koffiebar" token="t" client={createPortalClient('t', { baseUrl: 'http://localhost', fetch: api.fetch })} />);
    expect(await screen.findByText('+25')).toBeTruthy();
    expect(screen.queryByText(/purchase event/)).toBeNull();
    expect(((await screen.findByRole('switch', { name: 'News and offers by e-mail' })) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByRole('switch', { name: 'News and offers by text message' }) as HTMLInputElement).checked).toBe(false);
  });

  it('redeems an affordable reward with an idempotency key and shows the coupon code', async () => {
    const api = stubApi(portalRoutes);
    renderWithProviders(<PortalApp slug="koffiebar" token="t" client={createPortalClient('t', { baseUrl: 'http://localhost', fetch: api.fetch })} />);
    const tour = await screen.findByRole('button', { name: 'Redeem Roastery tour' });
    expect((tour as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Redeem Free coffee' }));
    expect(await screen.findByText('KOF-7H2Q9')).toBeTruthy();
    const redemption = api.requests.find((request) => request.method === 'POST')!;
    expect(await redemption.clone().json()).toEqual({ rewardId: 'rwd_1' });
    expect(redemption.headers.get('Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/);
    expect(redemption.headers.get('Authorization')).toBe('Bearer t');
  });

  it("shows a reward's picture named after the reward, and no picture for a reward without one", async () => {
    const api = stubApi(portalRoutes);
    renderWithProviders(<PortalApp slug="koffiebar" token="t" client={createPortalClient('t', { baseUrl: 'http://localhost', fetch: api.fetch })} />);
    const rewardsSection = await screen.findByRole('region', { name: 'Rewards' });
    const picture = await within(rewardsSection).findByRole('img', { name: 'Free coffee' });
    expect(picture.getAttribute('src')).toBe('/media/prg_1/rwd_1/0123456789abcdef');
    // The tour has none: one picture in the catalogue, and nothing named after the tour.
    expect(within(rewardsSection).getAllByRole('img')).toHaveLength(1);
    expect(within(rewardsSection).queryByRole('img', { name: 'Roastery tour' })).toBeNull();
    expect(within(rewardsSection).getByText('Roastery tour')).toBeTruthy();
  });

  it('deletes the data only once the member ticks that they understand, then says goodbye and calls /v1 no more', async () => {
    window.sessionStorage.setItem('trouw.portal.token', 't');
    const api = stubApi({ ...portalRoutes, 'POST /v1/portal/koffiebar/erase': { status: 200, body: { pointsForfeited: 345 } } });
    renderWithProviders(<PortalApp slug="koffiebar" token="t" client={createPortalClient('t', { baseUrl: 'http://localhost', fetch: api.fetch })} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete my data' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete your data?' });
    // The points they lose are counted with those still on their way (320 + 25), and they may download first.
    expect(within(dialog).getByText('You lose your 345 points, including those still on their way.')).toBeTruthy();
    expect(within(dialog).getByText(/cannot be undone/)).toBeTruthy();
    expect(within(dialog).getByRole('button', { name: 'Download my data' })).toBeTruthy();
    const understood = within(dialog).getByRole('checkbox', { name: 'I understand that my data and my points are gone for good' });
    await waitFor(() => expect(document.activeElement).toBe(understood));

    const confirm = within(dialog).getByRole('button', { name: 'Delete my data for good' }) as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    fireEvent.click(confirm);
    expect(api.requests.filter((request) => request.method === 'POST')).toHaveLength(0);

    fireEvent.click(understood);
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);

    const goodbye = await screen.findByRole('heading', { name: 'Your data has been deleted' });
    await waitFor(() => expect(document.activeElement).toBe(goodbye));
    expect(screen.queryByRole('region', { name: 'Rewards' })).toBeNull();
    expect(screen.queryByText('320')).toBeNull();
    const erase = api.requests.at(-1)!;
    expect(`${erase.method} ${new URL(erase.url).pathname}`).toBe('POST /v1/portal/koffiebar/erase');
    expect(await erase.clone().json()).toEqual({ confirm: true });
    expect(erase.headers.get('Authorization')).toBe('Bearer t');
    // The token now answers 401 only: it is forgotten, and coming back to the tab fetches nothing.
    expect(window.sessionStorage.getItem('trouw.portal.token')).toBeNull();
    focusManager.setFocused(false);
    focusManager.setFocused(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.requests.at(-1)).toBe(erase);
  });

  it('an expired token asks the member to come back through the shop', async () => {
    const api = stubApi({ 'GET /v1/portal/koffiebar/me': { status: 401, body: { title: 'Unauthorized', status: 401, code: 'portal_token_invalid', detail: 'expired' } } });
    renderWithProviders(<PortalApp slug="koffiebar" token="t" client={createPortalClient('t', { baseUrl: 'http://localhost', fetch: api.fetch })} />);
    await waitFor(() => expect(screen.getByText(/sign-in link has expired/)).toBeTruthy());
  });
});
