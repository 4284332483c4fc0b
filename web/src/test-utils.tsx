/** Renders a screen with the providers the apps use, in English, against a stubbed /v1. */
import type { ReactNode } from 'react';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { SessionProvider, useSession } from './admin/session';
import type { paths } from './api/schema';
import type { Role, Session } from './api/types';
import i18n, { setLanguage } from './i18n';

export function renderWithProviders(ui: ReactNode) {
  setLanguage('en', false);
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <MantineProvider>
      <QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>
    </MantineProvider>,
  );
}

/** The body of `GET /v1/auth/session` for a user with `role` in one programme. */
export function sessionAs(role: Role): Session {
  return {
    user: { id: 'usr_test', email: `${role}@example.com`, name: role },
    programs: [{ id: 'prg_test', name: 'Koffiebar', role }],
    csrfToken: 'csrf-test',
  };
}

/** The body of `GET /v1/program` for a programme in euros. */
export const sampleProgram: paths['/v1/program']['get']['responses'][200]['content']['application/json'] = {
  id: 'prg_test',
  name: 'Koffiebar',
  pointsName: 'bonen',
  currency: 'EUR',
  timezone: 'Europe/Amsterdam',
  pendingDays: 14,
  expiryMonths: null,
  expiryWarningDays: null,
  maxPointsPerDay: null,
  coupons: { prefix: null, length: 8, validityDays: 30, refundExpired: false },
  createdAt: '2026-01-01T00:00:00.000Z',
};

/**
 * Renders an admin page inside a router and the signed-in session, as the dashboard does. The session comes
 * from the stubbed `GET /v1/auth/session` (answer it with `sessionAs(role)`), through the shared admin client.
 */
export function renderAdminPage(ui: ReactNode) {
  return renderWithProviders(
    <MemoryRouter>
      <SessionProvider>{ui}</SessionProvider>
    </MemoryRouter>,
  );
}

type StubAnswer = { status: number; body?: unknown };

/**
 * A fetch that answers by "METHOD path" and records every request. A list of answers is given out in turn, the
 * last one again and again (an operation polled until it completes).
 */
export function stubApi(routes: Record<string, StubAnswer | StubAnswer[]>) {
  const requests: Request[] = [];
  const asked = new Map<string, number>();
  const fetch = async (request: Request) => {
    requests.push(request);
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    const answers = routes[key];
    const count = asked.get(key) ?? 0;
    asked.set(key, count + 1);
    const route = (Array.isArray(answers) ? answers[Math.min(count, answers.length - 1)] : answers) ?? { status: 404, body: { title: 'Not Found', status: 404, code: 'not_found', detail: 'No route.' } };
    const problem = route.status >= 400;
    return new Response(route.body === undefined ? null : JSON.stringify(route.body), {
      status: route.status,
      headers: { 'Content-Type': problem ? 'application/problem+json' : 'application/json' },
    });
  };
  return { requests, fetch: fetch as unknown as typeof globalThis.fetch };
}

function RoleShown() {
  const { role } = useSession();
  return role ? <output data-testid="role">{role}</output> : null;
}

/**
 * The admin session around a page, read from the stubbed GET /v1/auth/session. It also shows the role once the
 * session is read (`findByTestId('role')`), so a test can wait for it before asserting what a role does not see.
 */
export function SignedIn({ children }: { children: ReactNode }) {
  return (
    <SessionProvider>
      {children}
      <RoleShown />
    </SessionProvider>
  );
}

export { i18n };
