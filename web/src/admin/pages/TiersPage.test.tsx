import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { paths } from '../../api/schema';
import type { Role } from '../../api/types';
import { renderAdminPage, sampleProgram, sessionAs, stubApi } from '../../test-utils';
import { TiersPage, type TierConfiguration } from './TiersPage';

type Overview = paths['/v1/analytics/overview']['get']['responses'][200]['content']['application/json'];

// The page talks through the shared admin client, which takes the global fetch when it is first made; route it
// through a stub each test can swap.
let current = stubApi({});
vi.stubGlobal('fetch', (request: Request) => current.fetch(request));

/** Spend tiers in euros: thresholds are minor units on the wire. */
const configuration: TierConfiguration = {
  metric: 'spend',
  window: { type: 'rolling', months: 12 },
  reviewMonths: 12,
  graceDays: 30,
  levels: [
    { name: 'Brons', threshold: 0, multiplier: 1, perks: [] },
    { name: 'Zilver', threshold: 50_000, multiplier: 1.25, perks: ['Free shipping'] },
    { name: 'Goud', threshold: 150_000, multiplier: 1.5, perks: ['Free shipping', 'Birthday gift'] },
  ],
  version: 3,
  updatedAt: '2026-03-01T10:00:00.000Z',
};

const overview: Overview = {
  from: '2026-03-13T00:00:00.000Z',
  to: '2026-03-14T00:00:00.000Z',
  interval: 'day',
  timezone: 'Europe/Amsterdam',
  members: { total: 1234, new: 0, active: 0 },
  points: { issued: 0, takenBack: 0, redeemed: 0, expired: 0, outstanding: 0 },
  redemptions: 0,
  redemptionRate: null,
  tiers: [
    { tier: null, members: 1000 },
    { tier: 'Zilver', members: 200 },
    { tier: 'Goud', members: 34 },
  ],
  referrals: { clicks: 0, signUps: 0, qualified: 0, rewarded: 0 },
  series: [],
};

function stubFor(role: Role, extra: Parameters<typeof stubApi>[0] = {}) {
  return stubApi({
    'GET /v1/auth/session': { status: 200, body: sessionAs(role) },
    'GET /v1/program': { status: 200, body: sampleProgram },
    'GET /v1/tiers': { status: 200, body: configuration },
    'GET /v1/analytics/overview': { status: 200, body: overview },
    ...extra,
  });
}

/** A level's fieldset. (Found by its legend: role queries walk the accessibility tree of the whole form, slowly.) */
const level = (number: number) => within(screen.getByText(`Level ${number}`, { selector: 'legend' }).closest('fieldset')!);
const puts = () => current.requests.filter((request) => request.method === 'PUT' && request.url.endsWith('/v1/tiers'));

// Every keystroke re-renders the whole Mantine form, which jsdom does in a few hundred milliseconds on a slow
// machine; these tests type a dozen values, so they get more than the default five seconds.
describe('tiers page', { timeout: 20_000 }, () => {
  beforeEach(() => {
    current = stubApi({});
  });

  it('shows the levels with money thresholds and members per level; a manager adds, removes, reorders and edits levels and saves them all', async () => {
    const saved: TierConfiguration = {
      ...configuration,
      window: { type: 'rolling', months: 6 },
      graceDays: 14,
      levels: [
        { name: 'Start', threshold: 0, multiplier: 1, perks: ['Welcome coffee'] },
        { name: 'Zilver', threshold: 75_000, multiplier: 1.25, perks: ['Free shipping'] },
        { name: 'Goud', threshold: 150_000, multiplier: 1.5, perks: ['Free shipping', 'Birthday gift'] },
      ],
      version: 4,
    };
    current = stubFor('manager', { 'PUT /v1/tiers': { status: 200, body: saved } });
    renderAdminPage(<TiersPage />);

    // The read view: thresholds in euros, multipliers, perks and how many members each level has now.
    const silver = (await screen.findByRole('cell', { name: 'Zilver' })).closest('tr')!;
    expect(within(silver).getByText('€500.00')).toBeTruthy();
    expect(within(silver).getByText('×1.25')).toBeTruthy();
    expect(within(silver).getByText('Free shipping')).toBeTruthy();
    // The counts come once the session says the role may read figures.
    expect(await within(silver).findByText('200')).toBeTruthy();
    expect(screen.getByText('1,000 members have no level yet.')).toBeTruthy();
    expect(screen.getByText('The last 12 calendar months, the current one included')).toBeTruthy();

    fireEvent.click(await screen.findByRole('button', { name: 'Edit tiers' }));
    // Spend thresholds are edited in euros.
    expect((level(2).getByLabelText(/^Spent from \(EUR\)/) as HTMLInputElement).value).toBe('500');

    fireEvent.change(screen.getByLabelText(/^Months in the window/), { target: { value: '6' } });
    fireEvent.change(screen.getByLabelText(/^Grace before a downgrade/), { target: { value: '14' } });
    fireEvent.change(level(2).getByLabelText(/^Spent from/), { target: { value: '750' } });
    // Brons goes; a new entry level is added at the bottom and moved up to the top.
    fireEvent.click(screen.getByLabelText('Remove level 1'));
    fireEvent.click(screen.getByRole('button', { name: 'Add a level' }));
    fireEvent.change(level(3).getByLabelText(/^Name/), { target: { value: 'Start' } });
    fireEvent.change(level(3).getByLabelText(/^Spent from/), { target: { value: '0' } });
    const perks = level(3).getByLabelText(/^Perks/);
    // The tags input ignores writes to an input that does not have focus (autofill); a person types into it.
    perks.focus();
    fireEvent.change(perks, { target: { value: 'Welcome coffee' } });
    fireEvent.keyDown(perks, { key: 'Enter' });
    fireEvent.click(screen.getByLabelText('Move level 3 up'));
    fireEvent.click(screen.getByLabelText('Move level 2 up'));
    expect((level(1).getByLabelText(/^Name/) as HTMLInputElement).value).toBe('Start');
    expect(screen.getByLabelText('Move level 1 up').hasAttribute('disabled')).toBe(true);

    fireEvent.click(screen.getByRole('button', { name: 'Save tiers' }));
    await waitFor(() => expect(puts()).toHaveLength(1));
    const request = puts()[0]!;
    expect(request.headers.get('X-CSRF-Token')).toBe('csrf-test');
    expect(await request.clone().json()).toEqual({
      metric: 'spend',
      window: { type: 'rolling', months: 6 },
      reviewMonths: 12,
      graceDays: 14,
      levels: [
        { name: 'Start', threshold: 0, multiplier: 1, perks: ['Welcome coffee'] },
        { name: 'Zilver', threshold: 75_000, multiplier: 1.25, perks: ['Free shipping'] },
        { name: 'Goud', threshold: 150_000, multiplier: 1.5, perks: ['Free shipping', 'Birthday gift'] },
      ],
    });
    // Back to the read view, now showing what the server saved.
    expect(await screen.findByRole('cell', { name: 'Start' })).toBeTruthy();
    expect(screen.getByText('€750.00')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Save tiers' })).toBeNull();
  });

  it("shows the server's refusal under the field its pointer names, and clears it once the field changes", async () => {
    const detail = 'Levels are ordered by strictly increasing threshold; 0 does not exceed 0 of the level before.';
    current = stubFor('owner', {
      'PUT /v1/tiers': {
        status: 400,
        body: { title: 'The request is not valid', status: 400, code: 'validation_failed', detail, errors: [{ pointer: '/levels/1/threshold', detail }] },
      },
    });
    renderAdminPage(<TiersPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit tiers' }));
    fireEvent.change(level(2).getByLabelText(/^Spent from/), { target: { value: '0' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save tiers' }));

    await waitFor(() => expect(level(2).getByLabelText(/^Spent from/).getAttribute('aria-invalid')).toBe('true'));
    const field = level(2).getByLabelText(/^Spent from/);
    const message = level(2).getByText(detail);
    expect(field.getAttribute('aria-describedby')?.split(' ')).toContain(message.id);
    // Only that field: the first level's threshold is fine.
    expect(level(1).getByLabelText(/^Spent from/).getAttribute('aria-invalid')).not.toBe('true');
    expect((await puts()[0]!.clone().json()) as unknown).toMatchObject({ levels: [{ threshold: 0 }, { threshold: 0 }, { threshold: 150_000 }] });

    fireEvent.change(field, { target: { value: '600' } });
    await waitFor(() => expect(level(2).queryByText(detail)).toBeNull());
  });

  it('is read-only for an analyst, who still sees the members per level', async () => {
    current = stubFor('analyst');
    renderAdminPage(<TiersPage />);
    expect(await screen.findByRole('cell', { name: 'Goud' })).toBeTruthy();
    expect(await screen.findByText('You can read the tiers; owners and managers change them.')).toBeTruthy();
    expect(screen.getByRole('columnheader', { name: 'Members now' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Edit tiers' })).toBeNull();
    expect(screen.queryByRole('textbox')).toBeNull();
  });

  it('does not ask support for figures their role may not read', async () => {
    current = stubFor('support');
    renderAdminPage(<TiersPage />);
    expect(await screen.findByText('You can read the tiers; owners and managers change them.')).toBeTruthy();
    expect(await screen.findByRole('cell', { name: 'Goud' })).toBeTruthy();
    expect(screen.queryByRole('columnheader', { name: 'Members now' })).toBeNull();
    expect(current.requests.some((request) => request.url.includes('/v1/analytics/'))).toBe(false);
  });

  it('offers an owner to set up tiers when the programme has none, starting from one level', async () => {
    current = stubFor('owner', {
      'GET /v1/tiers': { status: 404, body: { title: 'No such resource', status: 404, code: 'not_found', detail: 'This programme has no tiers yet.' } },
      'PUT /v1/tiers': { status: 200, body: { ...configuration, metric: 'points_earned', levels: [{ name: 'Lid', threshold: 0, multiplier: 1, perks: [] }] } },
    });
    renderAdminPage(<TiersPage />);
    expect(await screen.findByText('This programme has no tiers yet.')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.click(await screen.findByRole('button', { name: 'Set up tiers' }));
    expect(screen.getAllByText(/^Level \d+$/, { selector: 'legend' })).toHaveLength(1);

    // A level without a name or threshold is not sent.
    fireEvent.click(screen.getByRole('button', { name: 'Save tiers' }));
    expect((await level(1).findAllByText('Required')).length).toBe(2);
    expect(puts()).toHaveLength(0);

    fireEvent.change(level(1).getByLabelText(/^Name/), { target: { value: 'Lid' } });
    fireEvent.change(level(1).getByLabelText(/^Points earned from/), { target: { value: '0' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save tiers' }));
    await waitFor(() => expect(puts()).toHaveLength(1));
    expect(await puts()[0]!.clone().json()).toEqual({
      metric: 'points_earned',
      window: { type: 'rolling', months: 12 },
      reviewMonths: 12,
      graceDays: 0,
      levels: [{ name: 'Lid', threshold: 0, multiplier: 1, perks: [] }],
    });
  });
});
