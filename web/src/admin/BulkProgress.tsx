/**
 * A bulk operation's progress, shown alike in the members page's import and adjustment dialogs and on the bulk
 * operations page: a bar of the lines processed (succeeded and failed parts), the counts, and once it has
 * completed the failed lines with their problems and a download to fix and resend them.
 */
import { Badge, Button, Group, Progress, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { ProblemAlert } from '../shared/ProblemAlert';
import { saveFile } from '../shared/download';
import { formatDateTime, formatNumber } from '../shared/format';
import { failedLinesCsv, type BulkItem, type BulkOperation } from './bulk-items';

/** How often a running operation is asked for; the job runner works off many lines a second. */
export const pollIntervalMs = 500;

const statusColors: Record<BulkOperation['status'], string> = { queued: 'gray', running: 'blue', completed: 'teal' };

/** One operation, asked for again every `pollIntervalMs` until it has completed. */
export function useBulkOperation(initial: BulkOperation) {
  return useQuery({
    queryKey: ['bulk-operation', initial.id],
    queryFn: async () => unwrap(await api().GET('/v1/bulk-operations/{id}', { params: { path: { id: initial.id } } })),
    initialData: initial,
    refetchInterval: (query) => (query.state.data?.status === 'completed' ? false : pollIntervalMs),
  });
}

export function BulkProgress({ operation }: { operation: BulkOperation }) {
  const { t } = useTranslation();
  const { total, processed, succeeded, failed, status } = operation;
  const share = (count: number) => (total > 0 ? (count / total) * 100 : 0);
  const processedText = t('bulk.processedOf', { processed: formatNumber(processed), total: formatNumber(total) });
  return (
    <Stack gap={4}>
      <Group justify="space-between" gap="xs">
        <Badge color={statusColors[status]} variant="light">
          {t(`bulk.statuses.${status}`)}
        </Badge>
        <Text size="sm">{processedText}</Text>
      </Group>
      {/* One progressbar for the lines processed, drawn as its succeeded and failed parts; the parts carry no role. */}
      <Progress.Root
        size="lg"
        role="progressbar"
        aria-label={t('bulk.progressOf', { kind: t(`bulk.kinds.${operation.kind}`), when: formatDateTime(operation.createdAt) })}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={processed}
        aria-valuetext={processedText}
      >
        <Progress.Section value={share(succeeded)} color="teal" withAria={false} animated={status !== 'completed'} />
        <Progress.Section value={share(failed)} color="red" withAria={false} />
      </Progress.Root>
      <Text size="sm" c="dimmed">
        {t('bulk.counts', { succeeded: formatNumber(succeeded), failed: formatNumber(failed) })}
      </Text>
    </Stack>
  );
}

/** How many failed lines the table shows; the download has them all. */
const shownFailures = 100;

/** Every failed line of an operation, page by page (at most 10,000 lines, 200 a page). */
async function loadFailedItems(operationId: string): Promise<BulkItem[]> {
  const items: BulkItem[] = [];
  let cursor: string | undefined;
  do {
    const page = unwrap(
      await api().GET('/v1/bulk-operations/{id}/items', {
        params: { path: { id: operationId }, query: { status: 'failed', limit: 200, ...(cursor ? { cursor } : {}) } },
      }),
    );
    items.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/**
 * The failed lines of a completed operation: where, which member, and why, with a download of them as a CSV to
 * fix and send again. `csvLines` (the dialog that sent the file knows them) turns the request's line into the
 * file's; without it the line is the request's.
 */
export function BulkFailures({ operation, csvLines }: { operation: BulkOperation; csvLines?: readonly number[] }) {
  const { t } = useTranslation();
  const ready = operation.status === 'completed' && operation.failed > 0;
  const failures = useQuery({
    queryKey: ['bulk-operation', operation.id, 'failed'],
    queryFn: () => loadFailedItems(operation.id),
    enabled: ready,
    // A completed operation's lines do not change.
    staleTime: Infinity,
  });
  if (!ready) return null;
  const items = failures.data ?? [];
  const lineOf = (item: BulkItem) => (csvLines ? (csvLines[item.line - 1] ?? item.line + 1) : item.line);
  const download = () =>
    // The BOM makes Excel read the file as UTF-8; the CSV reader drops it again.
    saveFile(`failed-lines-${operation.id}.csv`, `\uFEFF${failedLinesCsv(operation.kind, items)}`, 'text/csv;charset=utf-8');

  return (
    <Stack gap="xs">
      <ProblemAlert error={failures.error} />
      {failures.data && (
        <>
          <Table.ScrollContainer minWidth={500}>
            <Table striped>
              <Table.Caption>{csvLines ? t('bulk.failedCaption') : t('bulk.failedCaptionRequest')}</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{csvLines ? t('bulk.csvLine') : t('bulk.line')}</Table.Th>
                  <Table.Th>{t('members.externalId')}</Table.Th>
                  <Table.Th>{t('bulk.problem')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.slice(0, shownFailures).map((item) => (
                  <Table.Tr key={item.line}>
                    <Table.Td>{lineOf(item)}</Table.Td>
                    <Table.Td>{String(item.input.externalId ?? '')}</Table.Td>
                    <Table.Td>{item.problem?.detail ?? '–'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {items.length > shownFailures && <Text size="sm">{t('bulk.moreFailed', { count: items.length - shownFailures })}</Text>}
          <Group>
            <Button variant="default" onClick={download}>
              {t('bulk.download')}
            </Button>
          </Group>
        </>
      )}
    </Stack>
  );
}
