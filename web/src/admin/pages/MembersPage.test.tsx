import { fireEvent, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import type { Role } from '../../api/types';
import { renderWithProviders, sessionAs, SignedIn, stubApi } from '../../test-utils';
import { MembersPage } from './MembersPage';

let current = stubApi({});
vi.stubGlobal('fetch', (request: Request) => current.fetch(request));

function renderAs(role: Role) {
  current = stubApi({
    'GET /v1/auth/session': { status: 200, body: sessionAs(role) },
    'GET /v1/members': { status: 200, body: { data: [], nextCursor: null } },
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
});
