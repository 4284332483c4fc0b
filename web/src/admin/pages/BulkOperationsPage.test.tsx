import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders, stubApi } from '../../test-utils';
import type { BulkItem, BulkOperation } from '../bulk-items';
import { BulkOperationsPage } from './BulkOperationsPage';

const adjustment: BulkOperation = {
  id: 'bop_2',
  kind: 'points_adjustment',
  status: 'running',
  reason: 'Sorry for the outage',
  total: 200,
  processed: 50,
  succeeded: 50,
  failed: 0,
  createdBy: 'support@example.com',
  createdAt: '2026-03-14T10:05:00.000Z',
  startedAt: '2026-03-14T10:05:01.000Z',
  finishedAt: null,
};
const importDone: BulkOperation = {
  ...adjustment,
  id: 'bop_1',
  kind: 'member_import',
  status: 'completed',
  reason: 'Opening balance (import)',
  total: 3,
  processed: 3,
  succeeded: 1,
  failed: 2,
  createdBy: 'owner@example.com',
  createdAt: '2026-03-13T09:00:00.000Z',
  finishedAt: '2026-03-13T09:00:02.000Z',
};
const failed = (line: number, externalId: string): BulkItem => ({
  line,
  status: 'failed',
  input: { externalId },
  result: null,
  problem: { code: 'member_external_id_taken', detail: `A member with externalId ${externalId} is already enrolled.`, pointer: null },
  processedAt: '2026-03-13T09:00:01.000Z',
});

const api = stubApi({
  'GET /v1/bulk-operations': [
    { status: 200, body: { data: [adjustment, importDone], nextCursor: null } },
    { status: 200, body: { data: [{ ...adjustment, status: 'completed', processed: 200, succeeded: 200, finishedAt: '2026-03-14T10:05:09.000Z' }, importDone], nextCursor: null } },
  ],
  'GET /v1/bulk-operations/bop_1/items': { status: 200, body: { data: [failed(1, 'c-1'), failed(3, 'c-3')], nextCursor: null } },
});
vi.stubGlobal('fetch', (request: Request) => api.fetch(request));

describe('bulk operations page', () => {
  it('lists operations with who, when and a progress bar each, follows a running one to the end, and opens the failed lines of another', async () => {
    renderWithProviders(<BulkOperationsPage />);
    const running = await screen.findByRole('progressbar', { name: /^Progress: Points adjustment/ });
    expect(running.getAttribute('aria-valuenow')).toBe('50');
    expect(running.getAttribute('aria-valuemax')).toBe('200');
    expect(screen.getByText('support@example.com')).toBeTruthy();
    expect(screen.getByText('Sorry for the outage')).toBeTruthy();
    expect(screen.getByRole('progressbar', { name: /^Progress: Member import/ }).getAttribute('aria-valuetext')).toBe('3 of 3 lines processed');

    // Polled while one is running; the second answer has it completed, and then the polling stops.
    expect(await screen.findByText('200 of 200 lines processed', undefined, { timeout: 3000 })).toBeTruthy();
    const lists = () => api.requests.filter((request) => new URL(request.url).pathname === '/v1/bulk-operations').length;
    const settled = lists();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(lists()).toBe(settled);

    const toggle = screen.getByRole('button', { name: 'Show 2 failed lines' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const table = await screen.findByRole('table', { name: /^Failed lines, counted in the request/ });
    expect(within(table).getAllByRole('row').slice(1).map((row) => row.textContent)).toEqual([
      '1c-1A member with externalId c-1 is already enrolled.',
      '3c-3A member with externalId c-3 is already enrolled.',
    ]);
    expect(screen.getByRole('button', { name: 'Download failed lines as CSV' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Hide failed lines' }));
    expect(screen.queryByRole('table', { name: /^Failed lines/ })).toBeNull();
  }, 10_000);
});
