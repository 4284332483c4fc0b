import { useState } from 'react';
import { Alert, Badge, Box, Button, Card, Group, List, Select, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { ProblemAlert } from '../../shared/ProblemAlert';
import { ReasonDialog } from '../../shared/ReasonDialog';
import { formatDateTime, localized } from '../../shared/format';
import { mayReviewReferrals, useSession } from '../session';
import { LabelledValues, ReferralSignals } from './ReferralSignals';

// The two queues first: flagged by the fraud check, and payouts whose reward could not be given.
const statuses = ['flagged', 'reward_failed', 'signed_up', 'qualified', 'rewarded', 'rejected', 'expired', 'reversed'] as const;
type Status = (typeof statuses)[number];
type Referral = paths['/v1/referrals']['get']['responses'][200]['content']['application/json']['data'][number];
type PayoutFailure = NonNullable<Referral['payoutFailure']>;
type Reward = paths['/v1/rewards']['get']['responses'][200]['content']['application/json']['data'][number];

/**
 * Why a referral's reward could not be given, side by side, in words: which side, which reward (by name when
 * the list has it) and the reason; then what to do about it.
 */
function PayoutFailureNotice({ failure, rewards }: { failure: PayoutFailure; rewards: Reward[] | undefined }) {
  const { t } = useTranslation();
  const nameOf = (rewardId: string) => {
    const reward = rewards?.find((candidate) => candidate.id === rewardId);
    return reward ? localized(reward.name) : rewardId;
  };
  return (
    <Alert color="red" mt="sm" title={t('referrals.payoutFailed', { date: formatDateTime(failure.at) })}>
      <List size="sm">
        {failure.sides.map((side) => (
          <List.Item key={`${side.side}-${side.rewardId}`}>
            {t(`referrals.payoutSide.${side.side}`, { reward: nameOf(side.rewardId) })}: {t(`referrals.payoutReasons.${side.reason}`)}
          </List.Item>
        ))}
      </List>
      <Text size="sm" mt="xs">
        {t('referrals.payoutFailedHint')}
      </Text>
    </Alert>
  );
}

/** The decision on a reviewed referral, `{action, reason, at}`; anything else as labelled values. */
function ReviewDecision({ review }: { review: Record<string, unknown> }) {
  const { t } = useTranslation();
  const { action, reason, at } = review;
  if ((action !== 'approve' && action !== 'reject') || typeof reason !== 'string') {
    return (
      <Stack gap={4} mt="sm">
        <Text size="sm" fw={600}>
          {t('referrals.reviewed')}
        </Text>
        <LabelledValues values={review} />
      </Stack>
    );
  }
  return (
    <Text size="sm" mt="sm">
      {t(action === 'approve' ? 'referrals.approvedOn' : 'referrals.rejectedOn', { date: formatDateTime(typeof at === 'string' ? at : null) })}: {reason}
    </Text>
  );
}

export function ReferralReviewPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>('flagged');
  const [decision, setDecision] = useState<{ id: string; action: 'approve' | 'reject' } | null>(null);
  const { role } = useSession();
  const mayReview = mayReviewReferrals(role);

  // The currency of refunded amounts in the evidence.
  const program = useQuery({ queryKey: ['program'], queryFn: async () => unwrap(await api().GET('/v1/program')) });
  const referrals = useQuery({
    queryKey: ['referrals', status],
    queryFn: async () => unwrap(await api().GET('/v1/referrals', { params: { query: { status, limit: 100 } } })),
  });
  // The names of the rewards a failed payout names; the same list (and cache entry) as the rewards page's "all".
  const rewards = useQuery({
    queryKey: ['rewards', 'all'],
    queryFn: async () => unwrap(await api().GET('/v1/rewards', { params: { query: { audience: 'all', limit: 200 } } })),
    enabled: status === 'reward_failed',
  });
  const retry = useMutation({
    mutationFn: async (id: string) => unwrap(await api().POST('/v1/referrals/{id}/retry-reward', { params: { path: { id } } })),
    onSuccess: () => {
      notifications.show({ message: t('referrals.retried') });
      void queryClient.invalidateQueries({ queryKey: ['referrals'] });
    },
  });
  const decide = useMutation({
    mutationFn: async ({ id, action, reason }: { id: string; action: 'approve' | 'reject'; reason: string }) =>
      unwrap(
        action === 'approve'
          ? await api().POST('/v1/referrals/{id}/approve', { params: { path: { id } }, body: { reason } })
          : await api().POST('/v1/referrals/{id}/reject', { params: { path: { id } }, body: { reason } }),
      ),
    onSuccess: () => {
      setDecision(null);
      void queryClient.invalidateQueries({ queryKey: ['referrals'] });
    },
  });

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('referrals.title')}</Title>
        <Select
          label={t('referrals.status')}
          allowDeselect={false}
          value={status}
          onChange={(value) => value && setStatus(value as Status)}
          data={statuses.map((value) => ({ value, label: t(`referralStatuses.${value}`) }))}
        />
      </Group>
      <ProblemAlert error={referrals.error} />
      {referrals.data?.data.length === 0 && <Text>{t('referrals.none')}</Text>}
      {referrals.data?.data.map((referral) => (
        <Card withBorder key={referral.id} component="article" aria-labelledby={`ref-${referral.id}`}>
          <Group justify="space-between" align="start">
            <Stack gap={4}>
              <Text fw={600} id={`ref-${referral.id}`}>
                {t('referrals.heading', { code: referral.code })}
              </Text>
              <Text size="sm">
                {t('referrals.referrer')}: <Link to={`/members/${referral.referrerId}`}>{referral.referrerId}</Link> · {t('referrals.friend')}:{' '}
                <Link to={`/members/${referral.friendId}`}>{referral.friendId}</Link>
              </Text>
              <Text size="sm" c="dimmed">
                {formatDateTime(referral.createdAt)}
              </Text>
            </Stack>
            <Badge color={referral.status === 'flagged' ? 'orange' : referral.status === 'reward_failed' ? 'red' : 'gray'}>{t(`referralStatuses.${referral.status}`)}</Badge>
          </Group>
          <Box mt="sm">
            <ReferralSignals score={referral.score} signals={referral.signals} currency={program.data?.currency} />
          </Box>
          {referral.review && <ReviewDecision review={referral.review} />}
          {referral.status === 'reward_failed' && referral.payoutFailure && <PayoutFailureNotice failure={referral.payoutFailure} rewards={rewards.data?.data} />}
          {referral.status === 'reward_failed' && mayReview && (
            <Stack gap="xs" mt="sm">
              {retry.variables === referral.id && <ProblemAlert error={retry.error} title={t('referrals.retryFailed')} />}
              <Group>
                <Button loading={retry.isPending && retry.variables === referral.id} onClick={() => retry.mutate(referral.id)}>
                  {t('referrals.retry')}
                </Button>
              </Group>
            </Stack>
          )}
          {referral.status === 'flagged' && mayReview && (
            <Group mt="sm">
              <Button color="teal" onClick={() => setDecision({ id: referral.id, action: 'approve' })}>
                {t('review.approve')}
              </Button>
              <Button color="red" variant="outline" onClick={() => setDecision({ id: referral.id, action: 'reject' })}>
                {t('review.reject')}
              </Button>
            </Group>
          )}
        </Card>
      ))}
      <ReasonDialog
        key={decision ? `${decision.id}-${decision.action}` : 'closed'}
        title={decision ? t(decision.action === 'approve' ? 'referrals.approveTitle' : 'referrals.rejectTitle') : null}
        confirm={decision?.action === 'approve' ? t('review.approve') : t('review.reject')}
        busy={decide.isPending}
        error={decide.error}
        onClose={() => {
          setDecision(null);
          decide.reset();
        }}
        onSubmit={(reason) => decision && decide.mutate({ ...decision, reason })}
      />
    </Stack>
  );
}
