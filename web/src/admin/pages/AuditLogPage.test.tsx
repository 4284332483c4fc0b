import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders, stubApi } from '../../test-utils';
import { AuditLogPage, changedFields } from './AuditLogPage';

const entry = {
  id: 'aud_2',
  actor: { kind: 'user', id: 'usr_1', label: 'owner@example.com' },
  action: 'PATCH /v1/rewards/:id',
  target: '/v1/rewards/rwd_1',
  before: { id: 'rwd_1', name: 'Free coffee', pointsCost: 300 },
  after: { id: 'rwd_1', name: 'Free coffee', pointsCost: 250 },
  at: '2026-03-14T10:30:00.000Z',
};

let current = stubApi({});
vi.stubGlobal('fetch', (request: Request) => current.fetch(request));

describe('audit log', () => {
  it('shows who did what to which resource and when, and opens the before and after', async () => {
    current = stubApi({ 'GET /v1/audit-log': { status: 200, body: { data: [entry], nextCursor: null } } });
    renderWithProviders(<AuditLogPage />);
    expect(await screen.findByText('owner@example.com')).toBeTruthy();
    expect(screen.getByText('PATCH /v1/rewards/:id')).toBeTruthy();
    expect(screen.getByText('/v1/rewards/rwd_1')).toBeTruthy();
    expect(screen.getByText('User')).toBeTruthy();
    expect(screen.queryByText('Before')).toBeNull();

    const toggle = screen.getByRole('button', { name: 'Show changes' });
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getByText('Before')).toBeTruthy();
    expect(screen.getByText(/"pointsCost": 300/)).toBeTruthy();
    expect(screen.getByText(/"pointsCost": 250/)).toBeTruthy();
    expect(screen.getByText('Changed:').textContent).toContain('pointsCost');
    expect(screen.getByText('Changed:').textContent).not.toContain('name');
    expect(new URL(current.requests[0]!.url).searchParams.get('cursor')).toBeNull();
  });

  it('loads older entries with the cursor it was given', async () => {
    const first = stubApi({ 'GET /v1/audit-log': { status: 200, body: { data: [entry], nextCursor: 'c-2' } } });
    const second = stubApi({ 'GET /v1/audit-log': { status: 200, body: { data: [{ ...entry, id: 'aud_1', actor: { kind: 'api_key', id: 'key_1', label: 'Shop (sk_live_ab)' } }], nextCursor: null } } });
    const requests: Request[] = [];
    current = {
      requests,
      fetch: ((request: Request) => {
        requests.push(request);
        return (new URL(request.url).searchParams.get('cursor') === 'c-2' ? second : first).fetch(request);
      }) as typeof fetch,
    };
    renderWithProviders(<AuditLogPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Load older entries' }));
    expect(await screen.findByText('Shop (sk_live_ab)')).toBeTruthy();
    expect(screen.getByText('API key')).toBeTruthy();
    expect(new URL(requests[1]!.url).searchParams.get('cursor')).toBe('c-2');
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Load older entries' })).toBeNull());
  });

  it('names the changed top-level fields, all of them for a creation', () => {
    expect(changedFields({ a: 1, b: [1] }, { a: 1, b: [2], c: null })).toEqual(['b', 'c']);
    expect(changedFields(null, { id: 'x', name: 'y' })).toEqual(['id', 'name']);
    expect(changedFields(null, null)).toEqual([]);
  });
});
