import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createAdminClient } from '../../api/client';
import { renderWithProviders, stubApi } from '../../test-utils';
import { App } from '../App';
import { SessionProvider } from '../session';
import { MemoryRouter } from 'react-router-dom';

const session = {
  user: { id: 'usr_1', email: 'owner@example.com', name: 'Olga' },
  programs: [{ id: 'prg_1', name: 'Koffiebar Demo', role: 'owner' }],
  csrfToken: 'csrf-abc',
};

function renderAdmin(routes: Parameters<typeof stubApi>[0]) {
  const api = stubApi(routes);
  const state = { csrfToken: null, programId: null };
  const client = createAdminClient({ baseUrl: 'http://localhost', fetch: api.fetch, state });
  renderWithProviders(
    <MemoryRouter>
      <SessionProvider client={client}>
        <App />
      </SessionProvider>
    </MemoryRouter>,
  );
  return api;
}

async function signIn(email: string, password: string) {
  fireEvent.change(await screen.findByLabelText(/E-mail address/), { target: { value: email } });
  fireEvent.change(screen.getByLabelText(/^Password/), { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('signing in', () => {
  it('shows the login form when there is no session', async () => {
    renderAdmin({ 'GET /v1/auth/session': { status: 401, body: { title: 'Unauthorized', status: 401, code: 'unauthenticated', detail: 'Sign in.' } } });
    expect(await screen.findByRole('heading', { name: 'Sign in to Trouw' })).toBeTruthy();
  });

  it('a 401 invalid_credentials is shown as a sentence, and the form stays', async () => {
    const api = renderAdmin({
      'GET /v1/auth/session': { status: 401, body: { title: 'Unauthorized', status: 401, code: 'unauthenticated', detail: 'Sign in.' } },
      'POST /v1/auth/login': { status: 401, body: { title: 'Unauthorized', status: 401, code: 'invalid_credentials', detail: 'The e-mail or password is wrong.' } },
    });
    await signIn('owner@example.com', 'wrong');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Wrong e-mail address or password.');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
    const login = api.requests.find((request) => request.url.endsWith('/v1/auth/login'))!;
    expect(await login.clone().json()).toEqual({ email: 'owner@example.com', password: 'wrong' });
  });

  it('a lock-out (429 login_locked) says to wait', async () => {
    renderAdmin({
      'GET /v1/auth/session': { status: 401, body: { title: 'Unauthorized', status: 401, code: 'unauthenticated', detail: 'Sign in.' } },
      'POST /v1/auth/login': { status: 429, body: { title: 'Too Many Requests', status: 429, code: 'login_locked', detail: 'Locked.' } },
    });
    await signIn('owner@example.com', 'x');
    expect((await screen.findByRole('alert')).textContent).toContain('Too many attempts');
  });

  it('an unexpected problem shows the server detail', async () => {
    renderAdmin({
      'GET /v1/auth/session': { status: 401, body: { title: 'Unauthorized', status: 401, code: 'unauthenticated', detail: 'Sign in.' } },
      'POST /v1/auth/login': { status: 400, body: { title: 'Bad Request', status: 400, code: 'validation_failed', detail: 'email must be an e-mail address.' } },
    });
    await signIn('nope', 'x');
    expect((await screen.findByRole('alert')).textContent).toContain('email must be an e-mail address.');
  });

  it('after signing in, the dashboard names the programme and sends its header and the CSRF token', async () => {
    const api = renderAdmin({
      'GET /v1/auth/session': { status: 401, body: { title: 'Unauthorized', status: 401, code: 'unauthenticated', detail: 'Sign in.' } },
      'POST /v1/auth/login': { status: 200, body: session },
      'POST /v1/auth/logout': { status: 204 },
    });
    await signIn('owner@example.com', 'right');
    await waitFor(() => expect(screen.getAllByText(/owner@example.com/).length).toBeGreaterThan(0));
    fireEvent.click(screen.getAllByRole('button', { name: 'Sign out' })[0]!);
    await waitFor(() => expect(api.requests.some((request) => request.url.endsWith('/v1/auth/logout'))).toBe(true));
    const logout = api.requests.find((request) => request.url.endsWith('/v1/auth/logout'))!;
    expect(logout.headers.get('X-CSRF-Token')).toBe('csrf-abc');
    expect(logout.headers.get('Trouw-Program')).toBe('prg_1');
  });
});
