import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders, stubApi } from '../../test-utils';
import { OverviewPage, type Overview } from './OverviewPage';

const overview: Overview = {
  from: '2026-02-12T00:00:00.000Z',
  to: '2026-03-14T00:00:00.000Z',
  interval: 'day',
  timezone: 'Europe/Amsterdam',
  members: { total: 1234, new: 87, active: 412 },
  points: { issued: 56000, takenBack: 300, redeemed: 14000, expired: 2500, outstanding: 98765 },
  redemptions: 41,
  redemptionRate: 0.25,
  tiers: [
    { tier: null, members: 1000 },
    { tier: 'Goud', members: 234 },
  ],
  referrals: { clicks: 300, signUps: 40, qualified: 20, rewarded: 12 },
  series: [
    { bucket: '2026-03-12', from: '2026-03-11T23:00:00.000Z', to: '2026-03-12T23:00:00.000Z', newMembers: 3, pointsIssued: 900, pointsRedeemed: 300, pointsExpired: 0 },
    { bucket: '2026-03-13', from: '2026-03-12T23:00:00.000Z', to: '2026-03-13T23:00:00.000Z', newMembers: 5, pointsIssued: 1200, pointsRedeemed: 0, pointsExpired: 50 },
  ],
};

const api = stubApi({ 'GET /v1/analytics/overview': { status: 200, body: overview } });
vi.stubGlobal('fetch', (request: Request) => api.fetch(request));

// jsdom lays nothing out, so every chart warns that it has no size; that is expected here, not news.
const warn = console.warn.bind(console);
vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
  if (!String(args[0]).includes('of chart should be greater than 0')) warn(...args);
});

/** The value shown on the KPI card with this label. */
function kpi(label: string): string | null | undefined {
  const term = screen.getAllByText(label).find((element) => element.tagName === 'DT');
  return term?.nextElementSibling?.textContent;
}

describe('overview', () => {
  it('shows the KPIs of the analytics overview, asked for the last 30 days, and can switch to 7', async () => {
    renderWithProviders(<OverviewPage />);
    await screen.findByText('Points over time');
    expect(kpi('Members')).toBe('1,234');
    expect(kpi('New members')).toBe('87');
    expect(kpi('Active members')).toBe('412');
    expect(kpi('Points issued')).toBe('56,000');
    expect(kpi('Points redeemed')).toBe('14,000');
    expect(kpi('Points expired')).toBe('2,500');
    expect(kpi('Points outstanding')).toBe('98,765');
    expect(kpi('Redemption rate')).toBe('25%');
    expect(screen.getByText('By day (Europe/Amsterdam)')).toBeTruthy();

    const days = (request: Request) => {
      const query = new URL(request.url).searchParams;
      return Math.round((Date.parse(query.get('to')!) - Date.parse(query.get('from')!)) / 86_400_000);
    };
    expect(api.requests).toHaveLength(1);
    expect(days(api.requests[0]!)).toBe(30);

    fireEvent.click(screen.getByText('7 days'));
    await waitFor(() => expect(api.requests).toHaveLength(2));
    expect(days(api.requests[1]!)).toBe(7);
  });
});
