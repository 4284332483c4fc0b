import { Fragment, useState } from 'react';
import { Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { ProblemAlert } from '../../shared/ProblemAlert';
import { formatDateTime, formatNumber } from '../../shared/format';
import { BulkFailures, BulkProgress, pollIntervalMs } from '../BulkProgress';

/** The programme's member imports and bulk adjustments, newest first, followed live while any is running. */
export function BulkOperationsPage() {
  const { t } = useTranslation();
  const [cursor, setCursor] = useState<string | undefined>();
  const [expanded, setExpanded] = useState<string | null>(null);
  const operations = useQuery({
    queryKey: ['bulk-operations', cursor],
    queryFn: async () => unwrap(await api().GET('/v1/bulk-operations', { params: { query: { limit: 20, ...(cursor ? { cursor } : {}) } } })),
    refetchInterval: (query) => (query.state.data?.data.some((operation) => operation.status !== 'completed') ? pollIntervalMs : false),
  });

  return (
    <Stack>
      <Title order={2}>{t('bulk.title')}</Title>
      <Text size="sm">{t('bulk.intro')}</Text>
      <ProblemAlert error={operations.error} />
      {operations.data?.data.length === 0 && <Text>{t('bulk.none')}</Text>}
      <Table.ScrollContainer minWidth={760}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('bulk.kind')}</Table.Th>
              <Table.Th>{t('bulk.createdBy')}</Table.Th>
              <Table.Th>{t('bulk.createdAt')}</Table.Th>
              <Table.Th w={320}>{t('bulk.progress')}</Table.Th>
              <Table.Th>{t('bulk.failures')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {operations.data?.data.map((operation) => {
              const open = expanded === operation.id;
              const detailsId = `bulk-failures-${operation.id}`;
              return (
                <Fragment key={operation.id}>
                  <Table.Tr>
                    <Table.Td>
                      <Text size="sm">{t(`bulk.kinds.${operation.kind}`)}</Text>
                      {operation.reason && (
                        <Text size="xs" c="dimmed">
                          {operation.reason}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{operation.createdBy}</Table.Td>
                    <Table.Td>{formatDateTime(operation.createdAt)}</Table.Td>
                    <Table.Td>
                      <BulkProgress operation={operation} />
                    </Table.Td>
                    <Table.Td>
                      {operation.status === 'completed' && operation.failed > 0 ? (
                        <Button size="xs" variant="default" aria-expanded={open} aria-controls={open ? detailsId : undefined} onClick={() => setExpanded(open ? null : operation.id)}>
                          {open ? t('bulk.hideFailures') : t('bulk.showFailures', { count: operation.failed, formatted: formatNumber(operation.failed) })}
                        </Button>
                      ) : (
                        '–'
                      )}
                    </Table.Td>
                  </Table.Tr>
                  {open && (
                    <Table.Tr>
                      <Table.Td colSpan={5} id={detailsId}>
                        <BulkFailures operation={operation} />
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group>
        {cursor && (
          <Button variant="default" onClick={() => setCursor(undefined)}>
            {t('common.first')}
          </Button>
        )}
        {operations.data?.nextCursor && (
          <Button variant="default" onClick={() => setCursor(operations.data?.nextCursor ?? undefined)}>
            {t('common.next')}
          </Button>
        )}
      </Group>
    </Stack>
  );
}
