/**
 * The programme at a glance over a chosen period. `useOverview` assembles one `Overview` from the endpoints
 * that exist today (referral stats, member list, tier configuration); when `/v1/analytics/overview` lands, it
 * becomes one request returning the same shape and this page does not change.
 */
import { useState } from 'react';
import { BarChart, DonutChart } from '@mantine/charts';
import { Card, Group, SegmentedControl, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { ProblemAlert } from '../../shared/ProblemAlert';
import { formatMoney, formatNumber, formatPercent } from '../../shared/format';

const periods = { '7d': 7, '30d': 30, '90d': 90, '365d': 365 } as const;
type Period = keyof typeof periods;

/** Members are counted by paging the list; past this many the card shows "n+" rather than reading them all. */
const memberCountCap = 1000;

export interface Overview {
  currency: string;
  members: { total: number; capped: boolean; byTier: { tier: string; count: number }[] };
  newMembers: { total: number; byReferral: number };
  referrals: { clicks: number; signUps: number; qualified: number; rewarded: number; flagged: number; rejected: number };
  conversion: number | null;
  revenueOfReferredFriends: number;
  rewardCostPoints: number;
}

async function loadOverview(days: number): Promise<Overview> {
  const client = api();
  const to = new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  const stats = unwrap(await client.GET('/v1/referral-program/stats', { params: { query: { from: from.toISOString(), to: to.toISOString() } } }));

  const byTier = new Map<string, number>();
  let total = 0;
  let cursor: string | undefined;
  do {
    const page = unwrap(await client.GET('/v1/members', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
    for (const member of page.data) byTier.set(member.tier ?? '–', (byTier.get(member.tier ?? '–') ?? 0) + 1);
    total += page.data.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && total < memberCountCap);

  return {
    currency: stats.currency,
    members: { total, capped: Boolean(cursor), byTier: [...byTier].map(([tier, count]) => ({ tier, count })) },
    newMembers: { total: stats.newMembers.total, byReferral: stats.newMembers.byReferral },
    referrals: {
      clicks: stats.clicks,
      signUps: stats.signUps,
      qualified: stats.qualified,
      rewarded: stats.rewarded,
      flagged: stats.flagged,
      rejected: stats.rejected,
    },
    conversion: stats.conversion.signupToRewarded,
    revenueOfReferredFriends: stats.revenueOfReferredFriends,
    rewardCostPoints: stats.cost.points,
  };
}

function Kpi({ label, value }: { label: string; value: string }) {
  return (
    <Card withBorder>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fz="xl" fw={700}>
        {value}
      </Text>
    </Card>
  );
}

const tierColors = ['orange.6', 'gray.5', 'yellow.5', 'teal.6', 'blue.6', 'grape.6'];

export function OverviewPage() {
  const { t } = useTranslation();
  const [period, setPeriod] = useState<Period>('30d');
  const overview = useQuery({ queryKey: ['overview', period], queryFn: () => loadOverview(periods[period]) });
  const data = overview.data;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('overview.title')}</Title>
        <SegmentedControl
          aria-label={t('overview.period')}
          value={period}
          onChange={(value) => setPeriod(value as Period)}
          data={Object.keys(periods).map((key) => ({ value: key, label: t(`overview.periods.${key}`) }))}
        />
      </Group>
      <ProblemAlert error={overview.error} />
      {!data ? (
        overview.isLoading && <Skeleton h={200} aria-label={t('common.loading')} />
      ) : (
        <>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
            <Kpi label={t('overview.members')} value={`${formatNumber(data.members.total)}${data.members.capped ? '+' : ''}`} />
            <Kpi label={t('overview.newMembers')} value={formatNumber(data.newMembers.total)} />
            <Kpi label={t('overview.referredMembers')} value={formatNumber(data.newMembers.byReferral)} />
            <Kpi label={t('overview.referralConversion')} value={formatPercent(data.conversion)} />
            <Kpi label={t('overview.referredRevenue')} value={formatMoney(data.revenueOfReferredFriends, data.currency)} />
            <Kpi label={t('overview.referralCost')} value={formatNumber(data.rewardCostPoints)} />
            <Kpi label={t('overview.flagged')} value={formatNumber(data.referrals.flagged)} />
            <Kpi label={t('overview.rejected')} value={formatNumber(data.referrals.rejected)} />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder>
              <Title order={3} size="h4" mb="sm">
                {t('overview.funnel')}
              </Title>
              <BarChart
                h={260}
                dataKey="step"
                data={(['clicks', 'signUps', 'qualified', 'rewarded'] as const).map((step) => ({ step: t(`overview.steps.${step}`), count: data.referrals[step] }))}
                series={[{ name: 'count', label: t('overview.count'), color: 'teal.6' }]}
              />
            </Card>
            <Card withBorder>
              <Title order={3} size="h4" mb="sm">
                {t('overview.byTier')}
              </Title>
              <DonutChart
                withLabelsLine
                withLabels
                data={data.members.byTier.map((row, index) => ({ name: row.tier, value: row.count, color: tierColors[index % tierColors.length]! }))}
              />
            </Card>
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}
