import { fireEvent, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import type { Role, Session } from '../../api/types';
import { renderWithProviders, stubApi } from '../../test-utils';
import { SessionProvider, useSession } from '../session';
import { MembersPage } from './MembersPage';

let current = stubApi({});
vi.stubGlobal('fetch', (request: Request) => current.fetch(request));

const sessionAs = (role: Role): Session => ({
  user: { id: 'usr_1', email: 'someone@example.com', name: 'Someone' },
  programs: [{ id: 'prg_1', name: 'Koffiebar', role }],
  csrfToken: 'csrf',
});

/** Shows the role once the session is read, so a test can wait for it before asserting what is missing. */
function RoleShown() {
  return <output>{useSession().role}</output>;
}

function renderAs(role: Role) {
  current = stubApi({
    'GET /v1/auth/session': { status: 200, body: sessionAs(role) },
    'GET /v1/members': { status: 200, body: { data: [], nextCursor: null } },
  });
  renderWithProviders(
    <MemoryRouter>
      <SessionProvider>
        <MembersPage />
        <RoleShown />
      </SessionProvider>
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
    expect(await screen.findByText('analyst')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Import members' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Bulk adjust points' })).toBeNull();
  });
});
