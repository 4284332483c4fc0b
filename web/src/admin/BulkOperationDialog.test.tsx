import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders, stubApi } from '../test-utils';
import type { BulkItem, BulkOperation, MemberImportBody } from './bulk-items';
import { BulkOperationDialog } from './BulkOperationDialog';

// The dialog talks through the shared admin client, which takes the global fetch when it is first made; route it
// through a stub each test can swap.
let current = stubApi({});
vi.stubGlobal('fetch', (request: Request) => current.fetch(request));

const operation = (values: Partial<BulkOperation>): BulkOperation => ({
  id: 'bop_1',
  kind: 'member_import',
  status: 'queued',
  reason: 'Opening balance (import)',
  total: 3,
  processed: 0,
  succeeded: 0,
  failed: 0,
  createdBy: 'owner@example.com',
  createdAt: '2026-03-14T10:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  ...values,
});

const enrolledTwice: BulkItem = {
  line: 2,
  status: 'failed',
  input: { externalId: 'c-2', name: 'Bo' },
  result: null,
  problem: { code: 'member_external_id_taken', detail: 'A member with externalId c-2 is already enrolled.', pointer: null },
  processedAt: '2026-03-14T10:00:01.000Z',
};

function renderDialog(kind: 'member_import' | 'points_adjustment') {
  renderWithProviders(
    <MemoryRouter>
      <BulkOperationDialog kind={kind} onClose={() => undefined} />
    </MemoryRouter>,
  );
}

const posts = () => current.requests.filter((request) => request.method === 'POST');

describe('import members dialog', () => {
  beforeEach(() => {
    current = stubApi({});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('sends the items of the chosen file with an Idempotency-Key, follows the progress to the end and lists the failed lines', async () => {
    current = stubApi({
      'POST /v1/bulk-operations/member-import': { status: 202, body: operation({}) },
      'GET /v1/bulk-operations/bop_1': [
        { status: 200, body: operation({ status: 'running', processed: 1, succeeded: 1, startedAt: '2026-03-14T10:00:01.000Z' }) },
        { status: 200, body: operation({ status: 'completed', processed: 3, succeeded: 2, failed: 1, finishedAt: '2026-03-14T10:00:02.000Z' }) },
      ],
      'GET /v1/bulk-operations/bop_1/items': { status: 200, body: { data: [enrolledTwice], nextCursor: null } },
    });
    renderDialog('member_import');

    // A blank line and a quoted comma: the second item is on line 4 of the file, not 3.
    const csv = 'externalId,name,points\r\nc-1,"Jansen, Anna",100\r\n\r\nc-2,Bo,\r\nc-3,Cas,5\r\n';
    const input = document.querySelector('input[type="file"]') as HTMLInputElement;
    fireEvent.change(input, { target: { files: [new File([csv], 'members.csv', { type: 'text/csv' })] } });
    expect(await screen.findByText(/3 lines in the file, 3 ready to send/)).toBeTruthy();
    const preview = screen.getByRole('table', { name: 'The first lines, as they will be sent' });
    expect(within(preview).getByText('Jansen, Anna')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Import 3 members' }));
    const bar = await screen.findByRole('progressbar', { name: /^Progress: Member import/ });

    expect(posts()).toHaveLength(1);
    const body = (await posts()[0]!.clone().json()) as MemberImportBody;
    expect(body).toEqual({
      items: [
        { externalId: 'c-1', name: 'Jansen, Anna', points: 100 },
        { externalId: 'c-2', name: 'Bo' },
        { externalId: 'c-3', name: 'Cas', points: 5 },
      ],
    });
    expect(posts()[0]!.headers.get('Idempotency-Key')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    // Queued (from the 202), then running, then completed, as the polled answers say.
    expect(await screen.findByText('1 of 3 lines processed')).toBeTruthy();
    expect(screen.getByText('Running')).toBeTruthy();
    expect(await screen.findByText('3 of 3 lines processed', undefined, { timeout: 3000 })).toBeTruthy();
    expect(bar.getAttribute('aria-valuenow')).toBe('3');
    expect(bar.getAttribute('aria-valuemax')).toBe('3');
    expect(screen.getByRole('status').textContent).toContain('2 of 3 lines succeeded, 1 failed.');

    // The failed line, at its line in the file, with the member and the server's reason.
    const failures = await screen.findByRole('table', { name: /^Failed lines/ });
    const cells = within(failures).getAllByRole('cell').map((cell) => cell.textContent);
    expect(cells).toEqual(['4', 'c-2', 'A member with externalId c-2 is already enrolled.']);
    const itemsRequest = current.requests.find((request) => request.url.includes('/items'))!;
    expect(new URL(itemsRequest.url).searchParams.get('status')).toBe('failed');

    // Polling stops once completed.
    const polls = current.requests.filter((request) => new URL(request.url).pathname === '/v1/bulk-operations/bop_1').length;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(current.requests.filter((request) => new URL(request.url).pathname === '/v1/bulk-operations/bop_1')).toHaveLength(polls);

    // The download: the failed lines as sent, with the problem, to fix and resend.
    const saved: Blob[] = [];
    URL.createObjectURL = (blob: Blob) => {
      saved.push(blob);
      return 'blob:failed';
    };
    URL.revokeObjectURL = () => undefined;
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    fireEvent.click(screen.getByRole('button', { name: 'Download failed lines as CSV' }));
    expect(click).toHaveBeenCalledOnce();
    expect(saved).toHaveLength(1);
    // UTF-8 with a byte order mark, so Excel reads it as UTF-8 (Blob.text() drops the mark again).
    expect([...new Uint8Array(await saved[0]!.arrayBuffer()).slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(await saved[0]!.text()).toBe('externalId,name,problem\r\nc-2,Bo,A member with externalId c-2 is already enrolled.\r\n');
  }, 10_000);

  it('shows the file problems by line and sends nothing until they are fixed', async () => {
    renderDialog('member_import');
    const paste = screen.getByLabelText('Or paste the CSV here');
    fireEvent.change(paste, { target: { value: 'email,points\na@example.com,5\n' } });
    expect(await screen.findByText('Line 1: the header has no externalId column.')).toBeTruthy();
    const send = screen.getByRole('button', { name: /^Import/ }) as HTMLButtonElement;
    expect(send.disabled).toBe(true);

    fireEvent.change(paste, { target: { value: 'externalId,points\nc-1,5\nc-2,12.5\n' } });
    expect(await screen.findByText('Line 3: points must be a whole number, not “12.5”.')).toBeTruthy();
    expect(send.disabled).toBe(true);
    fireEvent.submit(send.closest('form')!);
    expect(posts()).toHaveLength(0);
  });
});

describe('bulk adjustment dialog', () => {
  beforeEach(() => {
    current = stubApi({});
  });

  it('shows a server 400 on /items/3/points against line 5 of the file, and sends the reason with the items', async () => {
    current = stubApi({
      'POST /v1/bulk-operations/points-adjustment': {
        status: 400,
        body: {
          title: 'Bad Request',
          status: 400,
          code: 'validation_failed',
          detail: 'The request is not valid.',
          errors: [{ pointer: '/items/3/points', detail: 'points is a non-zero whole number between -1000000000 and 1000000000.' }],
        },
      },
    });
    renderDialog('points_adjustment');
    fireEvent.change(screen.getByLabelText('Or paste the CSV here'), {
      target: { value: 'externalId,points,reason\nc-1,50,\nc-2,-20,Broken cup\nc-3,10,\nc-4,2000000000,\n' },
    });
    fireEvent.change(screen.getByLabelText(/^Reason/), { target: { value: 'Sorry for the outage' } });
    fireEvent.click(await screen.findByRole('button', { name: 'Adjust 4 members' }));

    expect(await screen.findByText('Line 5, points: points is a non-zero whole number between -1000000000 and 1000000000.')).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(await posts()[0]!.clone().json()).toEqual({
      reason: 'Sorry for the outage',
      items: [
        { externalId: 'c-1', points: 50 },
        { externalId: 'c-2', points: -20, reason: 'Broken cup' },
        { externalId: 'c-3', points: 10 },
        { externalId: 'c-4', points: 2000000000 },
      ],
    });
  });

  it('sends the same Idempotency-Key again when the same content is resent, and a new one for new content', async () => {
    const unavailable = { status: 503, body: { title: 'Service Unavailable', status: 503, code: 'http_error', detail: 'Try again.' } };
    current = stubApi({
      'POST /v1/bulk-operations/points-adjustment': [unavailable, unavailable, { status: 202, body: operation({ kind: 'points_adjustment', total: 1 }) }],
      'GET /v1/bulk-operations/bop_1': { status: 200, body: operation({ kind: 'points_adjustment', status: 'running', total: 1 }) },
    });
    renderDialog('points_adjustment');
    fireEvent.change(screen.getByLabelText('Or paste the CSV here'), { target: { value: 'externalId,points\nc-1,50\n' } });
    const reason = screen.getByLabelText(/^Reason/);
    fireEvent.change(reason, { target: { value: 'Outage' } });
    const send = await screen.findByRole('button', { name: 'Adjust 1 member' });

    fireEvent.click(send);
    await screen.findByText('Try again.');
    fireEvent.click(send);
    await waitFor(() => expect(posts()).toHaveLength(2));
    await waitFor(() => expect((send as HTMLButtonElement).disabled).toBe(false));
    fireEvent.change(reason, { target: { value: 'Outage on Monday' } });
    fireEvent.click(send);
    await screen.findByRole('progressbar');

    const keys = posts().map((request) => request.headers.get('Idempotency-Key'));
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });
});
