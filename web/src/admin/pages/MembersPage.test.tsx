import { fireEvent, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import type { Member, Role } from '../../api/types';
import { renderWithProviders, sessionAs, SignedIn, stubApi } from '../../test-utils';
import { MembersPage } from './MembersPage';

let current = stubApi({});
vi.stubGlobal('fetch', (request: Request) => current.fetch(request));

const member = (id: string, values: Partial<Member>): Member => ({
  id,
  externalId: `cust-${id}`,
  email: null,
  name: null,
  phone: null,
  birthDate: null,
  locale: null,
  attributes: {},
  status: 'active',
  tier: null,
  balance: { available: 0, pending: 0 },
  lifetimeEarned: 0,
  purchaseCount: 0,
  referralCode: 'CODE',
  referredBy: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...values,
});

function renderAs(role: Role, members: Member[] = []) {
  current = stubApi({
    'GET /v1/auth/session': { status: 200, body: sessionAs(role) },
    'GET /v1/members': { status: 200, body: { data: members, nextCursor: null } },
  });
  renderWithProviders(
    <MemoryRouter>
      <SignedIn>
        <MembersPage />
      </SignedIn>
    </MemoryRouter>,
  );
}

describe('members page', () => {
  it('offers support the import and the bulk adjustment, each in its dialog', async () => {
    renderAs('support');
    fireEvent.click(await screen.findByRole('button', { name: 'Import members' }));
    expect(await screen.findByRole('dialog', { name: 'Import members' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Bulk adjust points' })).toBeTruthy();
  });

  it('does not offer them to an analyst, who may only read members', async () => {
    renderAs('analyst');
    expect((await screen.findByTestId('role')).textContent).toBe('analyst');
    expect(screen.queryByRole('button', { name: 'Import members' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Bulk adjust points' })).toBeNull();
  });

  it('searches by name through the API, words and beginnings as typed', async () => {
    renderAs('support');
    await screen.findByTestId('role');
    fireEvent.click(screen.getByRole('radio', { name: 'Name' }));
    fireEvent.change(screen.getByLabelText('Search for'), { target: { value: '  ann vri ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await vi.waitFor(() => {
      const searches = current.requests.map((request) => new URL(request.url)).filter((url) => url.pathname === '/v1/members' && url.searchParams.has('name'));
      expect(searches.map((url) => url.searchParams.get('name'))).toEqual(['ann vri']);
    });
  });

  it('shows each status as its own badge, an erased member apart from a blocked one', async () => {
    renderAs('support', [
      member('mbr_a', { externalId: 'anna-1', name: 'Anna' }),
      member('mbr_b', { externalId: 'bram-2', name: 'Bram', status: 'blocked' }),
      member('mbr_c', { externalId: 'erased:mbr_c', status: 'erased' }),
    ]);
    const rowOf = async (externalId: string) => (await screen.findByRole('link', { name: externalId })).closest('tr')!;
    expect(within(await rowOf('anna-1')).getByText('Active')).toBeTruthy();
    expect(within(await rowOf('bram-2')).getByText('Blocked')).toBeTruthy();
    const erased = await rowOf('erased:mbr_c');
    expect(within(erased).getByText('Erased')).toBeTruthy();
    expect(within(erased).queryByText('Blocked')).toBeNull();
  });
});
