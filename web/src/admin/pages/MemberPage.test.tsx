import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import type { paths } from '../../api/schema';
import type { Member, Role } from '../../api/types';
import { renderWithProviders, sessionAs, SignedIn, stubApi } from '../../test-utils';
import { MemberPage } from './MemberPage';

type Json<P extends keyof paths, M extends 'get' | 'post', S extends number> = paths[P][M] extends { responses: { [K in S]: { content: { 'application/json': infer T } } } } ? T : never;

let current = stubApi({});
vi.stubGlobal('fetch', (request: Request) => current.fetch(request));

const anna: Member = {
  id: 'mbr_anna',
  externalId: 'anna-1',
  email: 'anna@example.com',
  name: 'Anna de Vries',
  phone: '+31612345678',
  birthDate: null,
  locale: 'nl',
  attributes: {},
  status: 'active',
  tier: 'Brons',
  balance: { available: 300, pending: 20 },
  lifetimeEarned: 900,
  purchaseCount: 12,
  referralCode: 'ANNA1',
  referredBy: null,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2026-03-01T00:00:00.000Z',
};

// What the server answers after erasing (services/privacy/erase-member.ts): nothing personal, the points gone.
const erasedAnna: Member = {
  ...anna,
  externalId: 'erased:mbr_anna',
  email: null,
  name: null,
  phone: null,
  locale: null,
  status: 'erased',
  balance: { available: 0, pending: 0 },
  referralCode: 'erased:mbr_anna',
  updatedAt: '2026-03-14T10:00:00.000Z',
};

const balance = (points: number): Json<'/v1/members/{id}/balance', 'get', 200> => ({ available: points, pending: 0, lifetimeEarned: 900, expiring: [] });
const referrals: Json<'/v1/members/{id}/referrals', 'get', 200> = {
  memberId: 'mbr_anna',
  code: 'ANNA1',
  enabled: true,
  friends: [],
  pointsEarned: 0,
  ladder: { count: 0, nextStep: null },
  share: null,
};

function renderAs(role: Role, profile: Member | Member[]) {
  const answers = (Array.isArray(profile) ? profile : [profile]).map((body) => ({ status: 200, body }));
  current = stubApi({
    'GET /v1/auth/session': { status: 200, body: sessionAs(role) },
    'GET /v1/members/mbr_anna': answers,
    'GET /v1/members/mbr_anna/balance': [{ status: 200, body: balance(300) }, { status: 200, body: balance(0) }],
    'GET /v1/members/mbr_anna/ledger': { status: 200, body: { data: [], nextCursor: null } },
    'GET /v1/members/mbr_anna/tier-history': { status: 200, body: { data: [] } },
    'GET /v1/members/mbr_anna/redemptions': { status: 200, body: { data: [], nextCursor: null } },
    'GET /v1/members/mbr_anna/referrals': { status: 200, body: referrals },
    'POST /v1/members/mbr_anna/erase': { status: 200, body: { member: erasedAnna, pointsForfeited: 320 } },
  });
  renderWithProviders(
    <MemoryRouter initialEntries={['/members/mbr_anna']}>
      <SignedIn>
        <Routes>
          <Route path="/members/:memberId" element={<MemberPage />} />
        </Routes>
      </SignedIn>
    </MemoryRouter>,
  );
}

const posts = () => current.requests.filter((request) => request.method === 'POST');

describe('erasing a member', () => {
  it('sends the reason only once the externalId is typed, then shows the erased member without actions or personal data', async () => {
    renderAs('support', [anna, erasedAnna]);
    fireEvent.click(await screen.findByRole('button', { name: 'Erase member' }));
    const dialog = await screen.findByRole('dialog', { name: 'Erase anna-1 for good?' });
    // What happens, in words: the points left (available and pending) are named with their number.
    expect(within(dialog).getByText('The 320 points they still have, available and pending, are forfeited.')).toBeTruthy();
    expect(within(dialog).getByText(/member\.erased webhook/)).toBeTruthy();
    const reason = within(dialog).getByRole('textbox', { name: 'Reason' });
    await waitFor(() => expect(document.activeElement).toBe(reason));

    const confirm = within(dialog).getByRole('button', { name: 'Erase for good' }) as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    fireEvent.change(reason, { target: { value: 'Erasure request of 2 March' } });
    const typed = within(dialog).getByRole('textbox', { name: 'Type anna-1 to confirm' });
    fireEvent.change(typed, { target: { value: 'anna-' } });
    expect(confirm.disabled).toBe(true);
    fireEvent.submit(confirm.closest('form')!);
    expect(posts()).toHaveLength(0);

    fireEvent.change(typed, { target: { value: 'anna-1' } });
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);

    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('This member was erased')).toBeTruthy();
    expect(within(alert).getByText('320 points were forfeited.')).toBeTruthy();
    // The button that opened the dialog is gone; keyboard users land on the news.
    await waitFor(() => expect(document.activeElement).toBe(alert));
    expect(posts()).toHaveLength(1);
    expect(await posts()[0]!.clone().json()).toEqual({ reason: 'Erasure request of 2 March' });
    expect(screen.getByRole('heading', { name: 'Erased member' })).toBeTruthy();
    expect(screen.getByText('Erased')).toBeTruthy();
    expect(screen.queryByRole('dialog')).toBeNull();
    for (const action of ['Block member', 'Unblock member', 'Adjust', 'Erase member']) expect(screen.queryByRole('button', { name: action })).toBeNull();
    for (const personal of ['Anna de Vries', /anna@example\.com/, /\+31612345678/, /anna-1/]) expect(screen.queryByText(personal)).toBeNull();
  });

  it('shows an erased member as erased on arrival, with nothing to act on even for an owner', async () => {
    renderAs('owner', erasedAnna);
    expect(await screen.findByRole('heading', { name: 'Erased member' })).toBeTruthy();
    expect((await screen.findByTestId('role')).textContent).toBe('owner');
    expect(screen.getByText(/Member id: mbr_anna/)).toBeTruthy();
    expect(screen.queryByText(/erased:mbr_anna/)).toBeNull();
    for (const action of ['Block member', 'Unblock member', 'Adjust', 'Erase member']) expect(screen.queryByRole('button', { name: action })).toBeNull();
  });

  it('is not offered to an analyst, who may only read members, nor are blocking and adjusting', async () => {
    renderAs('analyst', anna);
    expect(await screen.findByRole('heading', { name: 'Anna de Vries' })).toBeTruthy();
    expect((await screen.findByTestId('role')).textContent).toBe('analyst');
    expect(screen.queryByRole('button', { name: 'Erase member' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Block member' })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Adjust$/ })).toBeNull();
    expect(screen.queryByRole('spinbutton', { name: /^Points/ })).toBeNull();
  });
});
