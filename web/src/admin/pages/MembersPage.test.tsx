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
});
