/**
 * The referral programme: its settings (`GET /v1/referral-program`; owners and managers edit them in
 * ReferralProgramForm) and how it does over a chosen period (`GET /v1/referral-program/stats`): the funnel from
 * click to reward with the conversion of each step, what went wrong (flagged, rejected, expired, reversed), the
 * revenue and cost, the share of new members it brought and its viral factor, and the top referrers. The funnel
 * is a table with bars rather than a chart: the numbers are the point, and a table reads well aloud.
 */
import { useState, type ReactNode } from 'react';
import { Badge, Button, Card, DataList, Group, List, Progress, SegmentedControl, SimpleGrid, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { ProblemError } from '../../api/problem';
import type { paths } from '../../api/schema';
import { focusSoon } from '../../shared/focus';
import { Kpi } from '../../shared/Kpi';
import { ProblemAlert } from '../../shared/ProblemAlert';
import { formatDateTime, formatMoney, formatNumber, formatPercent, localized } from '../../shared/format';
import { mayConfigure, useSession } from '../session';
import { ReferralProgramForm, type ReferralProgram, type Reward } from './ReferralProgramForm';

export type ReferralStats = paths['/v1/referral-program/stats']['get']['responses'][200]['content']['application/json'];

const periods = { '7d': 7, '30d': 30, '90d': 90, '365d': 365 } as const;
type Period = keyof typeof periods;

function rewardText(t: TFunction, spec: ReferralProgram['referrerReward'], rewards: Reward[] | undefined): string {
  if ('points' in spec) return t('referralProgram.pointsValue', { count: spec.points, value: formatNumber(spec.points) });
  const reward = rewards?.find((candidate) => candidate.id === spec.rewardId);
  return t('referralProgram.rewardValue', { name: reward ? localized(reward.name) : spec.rewardId });
}

function Setting({ label, children }: { label: string; children: ReactNode }) {
  return (
    <DataList.Item>
      <DataList.ItemLabel>{label}</DataList.ItemLabel>
      <DataList.ItemValue>{children}</DataList.ItemValue>
    </DataList.Item>
  );
}

function ProgramSummary({ program, currency, rewards }: { program: ReferralProgram; currency: string; rewards: Reward[] | undefined }) {
  const { t } = useTranslation();
  const cap = program.caps?.perReferrer;
  return (
    <Card withBorder>
      <DataList labelWidth={220}>
        <Setting label={t('referralProgram.status')}>
          <Badge color={program.enabled ? 'teal' : 'gray'}>{program.enabled ? t('referralProgram.on') : t('referralProgram.off')}</Badge>
        </Setting>
        <Setting label={t('referralProgram.referrerReward')}>{rewardText(t, program.referrerReward, rewards)}</Setting>
        <Setting label={t('referralProgram.friendReward')}>{rewardText(t, program.friendReward, rewards)}</Setting>
        <Setting label={t('referralProgram.ladder')}>
          {program.ladder?.length ? (
            <List size="sm">
              {program.ladder.map((step) => (
                <List.Item key={step.from}>
                  {t('referralProgram.stepValue', { count: step.from, from: formatNumber(step.from), points: formatNumber(step.points) })}
                </List.Item>
              ))}
            </List>
          ) : (
            t('referralProgram.noLadder')
          )}
        </Setting>
        <Setting label={t('referralProgram.qualification')}>
          {t('referralProgram.qualificationValue', { count: program.validityDays, total: formatMoney(program.qualification.minOrderTotal, currency) })}
        </Setting>
        <Setting label={t('referralProgram.rewardedWhen')}>
          {program.qualification.afterReturnWindow ? t('referralProgram.afterReturnWindowValue') : t('referralProgram.atOnce')}
        </Setting>
        <Setting label={t('referralProgram.cap')}>
          {cap ? t(`referralProgram.capValue.${cap.period}`, { count: cap.count, value: formatNumber(cap.count) }) : t('referralProgram.noCap')}
        </Setting>
        <Setting label={t('referralProgram.fraud')}>
          {t('referralProgram.fraudValue', { review: program.fraud.reviewAbove, reject: program.fraud.rejectAbove })}
        </Setting>
        <Setting label={t('referralProgram.landingUrl')}>
          <Text size="sm" style={{ wordBreak: 'break-all' }}>
            {program.landingUrl}
          </Text>
        </Setting>
        <Setting label={t('referralProgram.messages')}>
          {program.messages?.en || program.messages?.nl ? (
            <List size="sm">
              {(['en', 'nl'] as const)
                .filter((locale) => program.messages?.[locale])
                .map((locale) => (
                  <List.Item key={locale}>
                    {t(`languages.${locale}`)}: {program.messages?.[locale]}
                  </List.Item>
                ))}
            </List>
          ) : (
            t('referralProgram.defaultMessages')
          )}
        </Setting>
      </DataList>
      <Text size="xs" c="dimmed" mt="sm">
        {t('referralProgram.updatedAt', { date: formatDateTime(program.updatedAt) })}
      </Text>
    </Card>
  );
}

async function loadStats(days: number): Promise<ReferralStats> {
  const to = new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  return unwrap(await api().GET('/v1/referral-program/stats', { params: { query: { from: from.toISOString(), to: to.toISOString() } } }));
}

function Funnel({ stats }: { stats: ReferralStats }) {
  const { t } = useTranslation();
  const steps = [
    { key: 'clicks', count: stats.clicks, rate: undefined },
    { key: 'signUps', count: stats.signUps, rate: stats.conversion.clickToSignup },
    { key: 'qualified', count: stats.qualified, rate: stats.conversion.signupToQualified },
    { key: 'rewarded', count: stats.rewarded, rate: stats.conversion.qualifiedToRewarded },
  ] as const;
  const widest = Math.max(1, ...steps.map((step) => step.count));
  return (
    <Table>
      <Table.Caption>{t('referralProgram.stats.funnelCaption')}</Table.Caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('referralProgram.stats.step')}</Table.Th>
          <Table.Th>{t('referralProgram.stats.count')}</Table.Th>
          <Table.Th>{t('referralProgram.stats.conversion')}</Table.Th>
          <Table.Th w="40%" aria-hidden />
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {steps.map((step) => (
          <Table.Tr key={step.key}>
            <Table.Th scope="row" fw={400}>
              {t(`referralProgram.stats.steps.${step.key}`)}
            </Table.Th>
            <Table.Td>{formatNumber(step.count)}</Table.Td>
            <Table.Td>{step.rate === undefined ? '' : formatPercent(step.rate)}</Table.Td>
            {/* The bar repeats the count for the eye; the cells already say it. */}
            <Table.Td aria-hidden>
              <Progress value={(step.count / widest) * 100} color="teal" />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function StatsSection() {
  const { t } = useTranslation();
  const [period, setPeriod] = useState<Period>('30d');
  const stats = useQuery({ queryKey: ['referral-stats', period], queryFn: () => loadStats(periods[period]) });
  const data = stats.data;
  return (
    <Stack component="section" aria-labelledby="referral-stats-title">
      <Group justify="space-between">
        <Title order={3} id="referral-stats-title">
          {t('referralProgram.stats.title')}
        </Title>
        <SegmentedControl
          aria-label={t('referralProgram.stats.period')}
          value={period}
          onChange={(value) => setPeriod(value as Period)}
          data={Object.keys(periods).map((key) => ({ value: key, label: t(`referralProgram.stats.periods.${key}`) }))}
        />
      </Group>
      <ProblemAlert error={stats.error} />
      {!data ? (
        stats.isLoading && <Skeleton h={200} aria-label={t('common.loading')} />
      ) : (
        <>
          <Card withBorder>
            <Funnel stats={data} />
            <Text size="sm" c="dimmed" mt="xs">
              {t('referralProgram.stats.overall', { rate: formatPercent(data.conversion.signupToRewarded) })}
            </Text>
          </Card>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
            <Kpi label={t('referralProgram.stats.flagged')} value={formatNumber(data.flagged)} />
            <Kpi label={t('referralProgram.stats.rejected')} value={formatNumber(data.rejected)} />
            <Kpi label={t('referralProgram.stats.expired')} value={formatNumber(data.expired)} />
            <Kpi label={t('referralProgram.stats.reversed')} value={formatNumber(data.reversed)} />
            <Kpi label={t('referralProgram.stats.revenue')} value={formatMoney(data.revenueOfReferredFriends, data.currency)} />
            <Kpi label={t('referralProgram.stats.pointsCost')} value={formatNumber(data.cost.points)} />
            <Kpi label={t('referralProgram.stats.couponsCost')} value={formatNumber(data.cost.coupons)} />
            <Kpi label={t('referralProgram.stats.reversedPoints')} value={formatNumber(data.cost.reversedPoints)} />
            <Kpi
              label={t('referralProgram.stats.newMembers')}
              value={t('referralProgram.stats.newMembersValue', {
                byReferral: formatNumber(data.newMembers.byReferral),
                total: formatNumber(data.newMembers.total),
                share: formatPercent(data.newMembers.share),
              })}
            />
            <Kpi label={t('referralProgram.stats.viralK')} value={data.viral.k === null ? '–' : formatNumber(Math.round(data.viral.k * 1000) / 1000)} />
            <Kpi
              label={t('referralProgram.stats.invitesPerMember')}
              value={data.viral.invitesPerMember === null ? '–' : formatNumber(Math.round(data.viral.invitesPerMember * 100) / 100)}
            />
            <Kpi label={t('referralProgram.stats.inviteConversion')} value={formatPercent(data.viral.inviteConversion)} />
          </SimpleGrid>
          <Text size="sm" c="dimmed">
            {t('referralProgram.stats.viralHint', { members: formatNumber(data.viral.membersAtStart) })}
          </Text>
          <Title order={4}>{t('referralProgram.stats.topReferrers')}</Title>
          {data.topReferrers.length === 0 ? (
            <Text c="dimmed">{t('referralProgram.stats.noReferrers')}</Text>
          ) : (
            <Table.ScrollContainer minWidth={400}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('referralProgram.stats.member')}</Table.Th>
                    <Table.Th>{t('referralProgram.stats.steps.signUps')}</Table.Th>
                    <Table.Th>{t('referralProgram.stats.steps.rewarded')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.topReferrers.map((row) => (
                    <Table.Tr key={row.memberId}>
                      <Table.Td>
                        <Link to={`/members/${row.memberId}`}>{row.memberId}</Link>
                      </Table.Td>
                      <Table.Td>{formatNumber(row.signUps)}</Table.Td>
                      <Table.Td>{formatNumber(row.rewarded)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </>
      )}
    </Stack>
  );
}

export function ReferralProgramPage() {
  const { t } = useTranslation();
  const { role } = useSession();
  const [editing, setEditing] = useState(false);
  const settings = useQuery({ queryKey: ['referral-program'], queryFn: async () => unwrap(await api().GET('/v1/referral-program')) });
  const program = useQuery({ queryKey: ['program'], queryFn: async () => unwrap(await api().GET('/v1/program')) });
  // For the names and choice of rewards, catalogue and referral-only; the same list (and cache entry) as the
  // rewards page showing all.
  const rewards = useQuery({
    queryKey: ['rewards', 'all'],
    queryFn: async () => unwrap(await api().GET('/v1/rewards', { params: { query: { audience: 'all', limit: 200 } } })),
  });

  const notSetUp = settings.error instanceof ProblemError && settings.error.code === 'referral_not_found';
  const current = settings.data ?? null;
  const currency = program.data?.currency;
  const canEdit = mayConfigure(role);
  const ready = currency !== undefined && (current !== null || notSetUp);

  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <Title order={2}>{t('referralProgram.title')}</Title>
        {canEdit && ready && !editing && (
          <Button id="referral-program-edit" onClick={() => setEditing(true)}>
            {current ? t('referralProgram.edit') : t('referralProgram.setUp')}
          </Button>
        )}
      </Group>
      {!notSetUp && <ProblemAlert error={settings.error} />}
      <ProblemAlert error={program.error} />
      {role && !canEdit && (
        <Text size="sm" c="dimmed">
          {t('referralProgram.readOnly')}
        </Text>
      )}
      {notSetUp && !editing && <Text>{t('referralProgram.none')}</Text>}
      {ready && editing && (
        <Card withBorder>
          <ReferralProgramForm
            program={current}
            currency={currency}
            rewards={rewards.data?.data ?? []}
            onDone={() => {
              setEditing(false);
              focusSoon('referral-program-edit');
            }}
          />
        </Card>
      )}
      {ready && !editing && current && <ProgramSummary program={current} currency={currency} rewards={rewards.data?.data} />}
      <StatsSection />
    </Stack>
  );
}
