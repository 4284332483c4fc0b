import { useState } from 'react';
import { Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { ProblemAlert } from '../../shared/ProblemAlert';
import { formatDateTime } from '../../shared/format';

function Deliveries({ webhookId }: { webhookId: string }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const deliveries = useQuery({
    queryKey: ['webhooks', webhookId, 'deliveries'],
    queryFn: async () => unwrap(await api().GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: webhookId } } })),
  });
  const replay = useMutation({
    mutationFn: async (deliveryId: string) =>
      unwrap(await api().POST('/v1/webhooks/{id}/deliveries/{deliveryId}/replay', { params: { path: { id: webhookId, deliveryId } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['webhooks', webhookId, 'deliveries'] }),
  });
  return (
    <Stack>
      <Title order={3} size="h4">
        {t('webhooks.deliveries')}
      </Title>
      <ProblemAlert error={deliveries.error ?? replay.error} />
      <Table.ScrollContainer minWidth={600}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('webhooks.when')}</Table.Th>
              <Table.Th>{t('webhooks.type')}</Table.Th>
              <Table.Th>{t('webhooks.status')}</Table.Th>
              <Table.Th>{t('webhooks.attempts')}</Table.Th>
              <Table.Th>{t('webhooks.lastResult')}</Table.Th>
              <Table.Th>{t('common.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {deliveries.data?.data.map((delivery) => (
              <Table.Tr key={delivery.id}>
                <Table.Td>{formatDateTime(delivery.createdAt)}</Table.Td>
                <Table.Td>{delivery.type}</Table.Td>
                <Table.Td>{delivery.status}</Table.Td>
                <Table.Td>{delivery.attemptCount}</Table.Td>
                <Table.Td>{delivery.lastStatusCode ?? delivery.lastError ?? '–'}</Table.Td>
                <Table.Td>
                  <Button size="xs" variant="default" loading={replay.isPending && replay.variables === delivery.id} onClick={() => replay.mutate(delivery.id)}>
                    {t('webhooks.replay')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

export function WebhooksPage() {
  const { t } = useTranslation();
  const [selected, setSelected] = useState<string | null>(null);
  const webhooks = useQuery({ queryKey: ['webhooks'], queryFn: async () => unwrap(await api().GET('/v1/webhooks')) });
  return (
    <Stack>
      <Title order={2}>{t('webhooks.title')}</Title>
      <ProblemAlert error={webhooks.error} />
      {webhooks.data?.data.length === 0 && <Text>{t('webhooks.none')}</Text>}
      <Table.ScrollContainer minWidth={600}>
        <Table striped>
          <Table.Tbody>
            {webhooks.data?.data.map((webhook) => (
              <Table.Tr key={webhook.id}>
                <Table.Td>{webhook.url}</Table.Td>
                <Table.Td>{webhook.eventTypes.join(', ')}</Table.Td>
                <Table.Td>
                  <Badge color={webhook.enabled ? 'teal' : 'red'}>{webhook.enabled ? t('webhooks.enabled') : t('webhooks.disabled')}</Badge>
                </Table.Td>
                <Table.Td>
                  <Button size="xs" variant={selected === webhook.id ? 'filled' : 'default'} onClick={() => setSelected(webhook.id)} aria-pressed={selected === webhook.id}>
                    {t('webhooks.showDeliveries')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {selected && (
        <Group>
          <Deliveries webhookId={selected} />
        </Group>
      )}
    </Stack>
  );
}
