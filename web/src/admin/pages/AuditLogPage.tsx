/**
 * The audit log (owners): every admin write, newest first, paged by cursor. An entry opens to the resource
 * before and after the write side by side, with the top-level fields that changed named above them.
 */
import { Fragment, useState } from 'react';
import { Badge, Button, Code, Group, ScrollArea, SimpleGrid, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { ProblemAlert } from '../../shared/ProblemAlert';
import { formatDateTime } from '../../shared/format';

type AuditEntry = paths['/v1/audit-log']['get']['responses'][200]['content']['application/json']['data'][number];

const pageSize = 50;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The top-level fields whose values differ between before and after (all of them when one side is absent). */
export function changedFields(before: unknown, after: unknown): string[] {
  if (!isRecord(before) && !isRecord(after)) return [];
  const from = isRecord(before) ? before : {};
  const to = isRecord(after) ? after : {};
  return [...new Set([...Object.keys(from), ...Object.keys(to)])].filter((key) => JSON.stringify(from[key]) !== JSON.stringify(to[key])).sort();
}

function JsonSide({ label, value }: { label: string; value: unknown }) {
  const { t } = useTranslation();
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      {value === null || value === undefined ? (
        <Text size="sm" c="dimmed">
          {t('audit.nothing')}
        </Text>
      ) : (
        <ScrollArea.Autosize mah={360}>
          <Code block>{JSON.stringify(value, null, 2)}</Code>
        </ScrollArea.Autosize>
      )}
    </Stack>
  );
}

function EntryDetail({ entry }: { entry: AuditEntry }) {
  const { t } = useTranslation();
  const changed = changedFields(entry.before, entry.after);
  return (
    <Stack gap="xs">
      {changed.length > 0 && (
        <Text size="sm">
          {t('audit.changed')} {changed.map((field) => <Code key={field} mr={4}>{field}</Code>)}
        </Text>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <JsonSide label={t('audit.before')} value={entry.before} />
        <JsonSide label={t('audit.after')} value={entry.after} />
      </SimpleGrid>
    </Stack>
  );
}

export function AuditLogPage() {
  const { t } = useTranslation();
  const [open, setOpen] = useState<Set<string>>(new Set());
  const log = useInfiniteQuery({
    queryKey: ['audit-log'],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(await api().GET('/v1/audit-log', { params: { query: { limit: pageSize, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const entries = log.data?.pages.flatMap((page) => page.data) ?? [];
  const toggle = (id: string) =>
    setOpen((previous) => {
      const next = new Set(previous);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <Stack>
      <Title order={2}>{t('audit.title')}</Title>
      <Text c="dimmed" size="sm">
        {t('audit.intro')}
      </Text>
      <ProblemAlert error={log.error} />
      <Table.ScrollContainer minWidth={700}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('audit.at')}</Table.Th>
              <Table.Th>{t('audit.actor')}</Table.Th>
              <Table.Th>{t('audit.action')}</Table.Th>
              <Table.Th>{t('audit.target')}</Table.Th>
              <Table.Th>
                <VisuallyHidden>{t('audit.details')}</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {entries.map((entry) => {
              const expanded = open.has(entry.id);
              const detailId = `audit-${entry.id}`;
              return (
                <Fragment key={entry.id}>
                  <Table.Tr>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(entry.at)}</Table.Td>
                    <Table.Td>
                      <Group gap={6} wrap="nowrap">
                        <Badge variant="light" color={entry.actor.kind === 'user' ? 'blue' : 'grape'}>
                          {t(`audit.actorKinds.${entry.actor.kind}`)}
                        </Badge>
                        <Text size="sm">{entry.actor.label}</Text>
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Code>{entry.action}</Code>
                    </Table.Td>
                    <Table.Td>
                      <Code>{entry.target}</Code>
                    </Table.Td>
                    <Table.Td>
                      <Button size="xs" variant="subtle" aria-expanded={expanded} aria-controls={detailId} onClick={() => toggle(entry.id)}>
                        {expanded ? t('audit.hide') : t('audit.show')}
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                  {expanded && (
                    <Table.Tr id={detailId}>
                      <Table.Td colSpan={5}>
                        <EntryDetail entry={entry} />
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {log.isSuccess && entries.length === 0 && <Text c="dimmed">{t('audit.empty')}</Text>}
      {log.hasNextPage && (
        <Group>
          <Button variant="default" onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
            {t('audit.more')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
