import { useState } from 'react';
import { Badge, Box, Button, Card, Group, Select, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { ProblemAlert } from '../../shared/ProblemAlert';
import { ReasonDialog } from '../../shared/ReasonDialog';
import { formatDateTime } from '../../shared/format';
import { LabelledValues, ReferralSignals } from './ReferralSignals';

const statuses = ['flagged', 'signed_up', 'qualified', 'rewarded', 'rejected', 'expired', 'reversed'] as const;
type Status = (typeof statuses)[number];

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

  // The currency of refunded amounts in the evidence.
  const program = useQuery({ queryKey: ['program'], queryFn: async () => unwrap(await api().GET('/v1/program')) });
  const referrals = useQuery({
    queryKey: ['referrals', status],
    queryFn: async () => unwrap(await api().GET('/v1/referrals', { params: { query: { status, limit: 100 } } })),
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
            <Badge color={referral.status === 'flagged' ? 'orange' : 'gray'}>{t(`referralStatuses.${referral.status}`)}</Badge>
          </Group>
          <Box mt="sm">
            <ReferralSignals score={referral.score} signals={referral.signals} currency={program.data?.currency} />
          </Box>
          {referral.review && <ReviewDecision review={referral.review} />}
          {referral.status === 'flagged' && (
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
