import { useState } from 'react';
import { Badge, Button, Code, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { ProblemAlert } from '../../shared/ProblemAlert';
import { ReasonDialog } from '../../shared/ReasonDialog';
import { formatDateTime, formatNumber } from '../../shared/format';

const statuses = ['held', 'approved', 'rejected'] as const;
type Status = (typeof statuses)[number];

export function EarnHoldsPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>('held');
  const [decision, setDecision] = useState<{ id: string; action: 'approve' | 'reject' } | null>(null);
  const holds = useQuery({
    queryKey: ['earn-holds', status],
    queryFn: async () => unwrap(await api().GET('/v1/earn-holds', { params: { query: { status, limit: 100 } } })),
  });
  const decide = useMutation({
    mutationFn: async ({ id, action, reason }: { id: string; action: 'approve' | 'reject'; reason: string }) =>
      unwrap(
        action === 'approve'
          ? await api().POST('/v1/earn-holds/{id}/approve', { params: { path: { id } }, body: { reason } })
          : await api().POST('/v1/earn-holds/{id}/reject', { params: { path: { id } }, body: { reason } }),
      ),
    onSuccess: () => {
      setDecision(null);
      void queryClient.invalidateQueries({ queryKey: ['earn-holds'] });
    },
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('earnHolds.title')}</Title>
        <Select
          label={t('earnHolds.status')}
          allowDeselect={false}
          value={status}
          onChange={(value) => value && setStatus(value as Status)}
          data={statuses.map((value) => ({ value, label: t(`earnHolds.statuses.${value}`) }))}
        />
      </Group>
      <Text size="sm" c="dimmed">
        {t('earnHolds.explain')}
      </Text>
      <ProblemAlert error={holds.error} />
      {holds.data?.data.length === 0 && <Text>{t('earnHolds.none')}</Text>}
      <Table.ScrollContainer minWidth={700}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('earnHolds.when')}</Table.Th>
              <Table.Th>{t('earnHolds.member')}</Table.Th>
              <Table.Th>{t('earnHolds.event')}</Table.Th>
              <Table.Th>{t('earnHolds.points')}</Table.Th>
              <Table.Th>{t('earnHolds.reason')}</Table.Th>
              <Table.Th>{t('earnHolds.status')}</Table.Th>
              <Table.Th>{t('common.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {holds.data?.data.map((hold) => (
              <Table.Tr key={hold.id}>
                <Table.Td>{formatDateTime(hold.occurredAt)}</Table.Td>
                <Table.Td>
                  <Link to={`/members/${hold.memberId}`}>{hold.memberId}</Link>
                </Table.Td>
                <Table.Td>
                  {hold.eventType} {hold.orderId && `· ${hold.orderId}`}
                </Table.Td>
                <Table.Td>{formatNumber(hold.points)}</Table.Td>
                <Table.Td>
                  {hold.reason}
                  {hold.evidence != null && <Code block>{JSON.stringify(hold.evidence, null, 2)}</Code>}
                </Table.Td>
                <Table.Td>
                  <Badge color={hold.status === 'held' ? 'orange' : hold.status === 'approved' ? 'teal' : 'red'}>{t(`earnHolds.statuses.${hold.status}`)}</Badge>
                </Table.Td>
                <Table.Td>
                  {hold.status === 'held' && (
                    <Group gap="xs" wrap="nowrap">
                      <Button size="xs" color="teal" onClick={() => setDecision({ id: hold.id, action: 'approve' })}>
                        {t('review.approve')}
                      </Button>
                      <Button size="xs" color="red" variant="outline" onClick={() => setDecision({ id: hold.id, action: 'reject' })}>
                        {t('review.reject')}
                      </Button>
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ReasonDialog
        key={decision ? `${decision.id}-${decision.action}` : 'closed'}
        title={decision ? t(decision.action === 'approve' ? 'earnHolds.approveTitle' : 'earnHolds.rejectTitle') : null}
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
