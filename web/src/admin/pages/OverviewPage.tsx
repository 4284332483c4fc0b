/**
 * The programme at a glance over a chosen period, from one request: `GET /v1/analytics/overview`. The server
 * does the counting in the programme's timezone (buckets start at its local midnight), so the page only picks
 * the period and draws.
 */
import { useState } from 'react';
import { AreaChart, BarChart, DonutChart } from '@mantine/charts';
import { Card, Group, SegmentedControl, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import i18n from '../../i18n';
import { Kpi } from '../../shared/Kpi';
import { ProblemAlert } from '../../shared/ProblemAlert';
import { formatNumber, formatPercent } from '../../shared/format';

export type Overview = paths['/v1/analytics/overview']['get']['responses'][200]['content']['application/json'];

const periods = { '7d': 7, '30d': 30, '90d': 90, '365d': 365 } as const;
type Period = keyof typeof periods;

async function loadOverview(days: number): Promise<Overview> {
  const to = new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  // The interval is left to the server: days up to a quarter, weeks beyond, so the chart keeps a readable width.
  return unwrap(await api().GET('/v1/analytics/overview', { params: { query: { from: from.toISOString(), to: to.toISOString() } } }));
}

/** A bucket's start date (a local date, `YYYY-MM-DD`) as a short axis label. */
function bucketLabel(bucket: string, interval: Overview['interval']): string {
  const [year, month, day] = bucket.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  const locale = i18n.language === 'nl' ? 'nl-NL' : 'en-GB';
  const options: Intl.DateTimeFormatOptions =
    interval === 'month' ? { month: 'short', year: 'numeric', timeZone: 'UTC' } : { day: 'numeric', month: 'short', timeZone: 'UTC' };
  return new Intl.DateTimeFormat(locale, options).format(date);
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
            <Kpi label={t('overview.membersTotal')} value={formatNumber(data.members.total)} />
            <Kpi label={t('overview.newMembers')} value={formatNumber(data.members.new)} />
            <Kpi label={t('overview.activeMembers')} value={formatNumber(data.members.active)} />
            <Kpi label={t('overview.redemptionRate')} value={formatPercent(data.redemptionRate)} />
            <Kpi label={t('overview.pointsIssued')} value={formatNumber(data.points.issued)} />
            <Kpi label={t('overview.pointsRedeemed')} value={formatNumber(data.points.redeemed)} />
            <Kpi label={t('overview.pointsExpired')} value={formatNumber(data.points.expired)} />
            <Kpi label={t('overview.pointsOutstanding')} value={formatNumber(data.points.outstanding)} />
          </SimpleGrid>
          <Card withBorder>
            <Group justify="space-between" mb="sm">
              <Title order={3} size="h4">
                {t('overview.pointsOverTime')}
              </Title>
              <Text size="sm" c="dimmed">
                {t(`overview.intervals.${data.interval}`, { timezone: data.timezone })}
              </Text>
            </Group>
            <AreaChart
              h={280}
              dataKey="label"
              withLegend
              curveType="monotone"
              data={data.series.map((row) => ({ ...row, label: bucketLabel(row.bucket, data.interval) }))}
              series={[
                { name: 'pointsIssued', label: t('overview.pointsIssued'), color: 'teal.6' },
                { name: 'pointsRedeemed', label: t('overview.pointsRedeemed'), color: 'blue.6' },
                { name: 'pointsExpired', label: t('overview.pointsExpired'), color: 'gray.5' },
              ]}
            />
          </Card>
          <SimpleGrid cols={{ base: 1, md: 3 }}>
            <Card withBorder>
              <Title order={3} size="h4" mb="sm">
                {t('overview.newMembersOverTime')}
              </Title>
              <BarChart
                h={220}
                dataKey="label"
                data={data.series.map((row) => ({ label: bucketLabel(row.bucket, data.interval), newMembers: row.newMembers }))}
                series={[{ name: 'newMembers', label: t('overview.newMembers'), color: 'orange.6' }]}
              />
            </Card>
            <Card withBorder>
              <Title order={3} size="h4" mb="sm">
                {t('overview.byTier')}
              </Title>
              {data.tiers.length === 0 ? (
                <Text c="dimmed">{t('overview.noMembers')}</Text>
              ) : (
                <DonutChart
                  withLabelsLine
                  withLabels
                  data={data.tiers.map((row, index) => ({
                    name: row.tier ?? t('overview.noTier'),
                    value: row.members,
                    color: tierColors[index % tierColors.length]!,
                  }))}
                />
              )}
            </Card>
            <Card withBorder>
              <Title order={3} size="h4" mb="sm">
                {t('overview.funnel')}
              </Title>
              <BarChart
                h={220}
                dataKey="step"
                data={(['clicks', 'signUps', 'qualified', 'rewarded'] as const).map((step) => ({ step: t(`overview.steps.${step}`), count: data.referrals[step] }))}
                series={[{ name: 'count', label: t('overview.count'), color: 'teal.6' }]}
              />
            </Card>
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}
