import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createPortalClient } from '../api/client';
import { renderWithProviders, stubApi } from '../test-utils';
import { PortalApp } from './PortalApp';

const me = {
  profile: { id: 'mbr_1', name: 'Anna', email: 'anna@example.com', locale: 'en' },
  balance: { available: 320, pending: 25, expiring: [{ points: 40, expiresAt: '2030-03-01T00:00:00Z' }] },
  tier: 'Brons',
  tierProgress: { current: 320, needed: 80, nextTier: 'Zilver' },
  program: { name: 'Koffiebar Demo', pointsName: 'bonen' },
};

const portalRoutes = {
  'GET /v1/portal/koffiebar/me': { status: 200, body: me },
  'GET /v1/portal/koffiebar/rewards': {
    status: 200,
    body: {
      data: [
        { id: 'rwd_1', name: { en: 'Free coffee', nl: 'Gratis koffie' }, description: null, pointsCost: 300, affordable: true },
        { id: 'rwd_2', name: 'Roastery tour', description: null, pointsCost: 2000, affordable: false },
      ],
    },
  },
  'POST /v1/portal/koffiebar/redemptions': { status: 201, body: { id: 'rdm_1', coupon: { code: 'KOF-7H2Q9', expiresAt: null } } },
  'GET /v1/portal/koffiebar/history': { status: 200, body: { data: [], nextCursor: null } },
  'GET /v1/portal/koffiebar/referrals': { status: 200, body: { code: 'ANNA1', enabled: true, friends: [], pointsEarned: 0, share: null } },
  'GET /v1/portal/koffiebar/consents': { status: 200, body: { marketing: true } },
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

  it('an expired token asks the member to come back through the shop', async () => {
    const api = stubApi({ 'GET /v1/portal/koffiebar/me': { status: 401, body: { title: 'Unauthorized', status: 401, code: 'portal_token_invalid', detail: 'expired' } } });
    renderWithProviders(<PortalApp slug="koffiebar" token="t" client={createPortalClient('t', { baseUrl: 'http://localhost', fetch: api.fetch })} />);
    await waitFor(() => expect(screen.getByText(/sign-in link has expired/)).toBeTruthy());
  });
});
