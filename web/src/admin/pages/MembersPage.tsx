import { useState, type FormEvent } from 'react';
import { Anchor, Button, Group, SegmentedControl, Stack, Table, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { BulkOperationDialog } from '../BulkOperationDialog';
import type { BulkKind } from '../bulk-items';
import { MemberStatusBadge } from '../MemberStatusBadge';
import { mayWriteMembers, useSession } from '../session';
import { ProblemAlert } from '../../shared/ProblemAlert';
import { formatDate, formatNumber } from '../../shared/format';

type SearchBy = 'externalId' | 'email' | 'name';

export function MembersPage() {
  const { t } = useTranslation();
  const [by, setBy] = useState<SearchBy>('externalId');
  const [text, setText] = useState('');
  const [search, setSearch] = useState<{ by: SearchBy; value: string } | null>(null);
  const [cursor, setCursor] = useState<string | undefined>();
  const [bulk, setBulk] = useState<BulkKind | null>(null);
  const { role } = useSession();
  const canWrite = mayWriteMembers(role);

  const members = useQuery({
    queryKey: ['members', search, cursor],
    queryFn: async () =>
      unwrap(
        await api().GET('/v1/members', {
          params: { query: { limit: 50, ...(search ? { [search.by]: search.value } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCursor(undefined);
    setSearch(text.trim() ? { by, value: text.trim() } : null);
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('members.title')}</Title>
        {canWrite && (
          <Group gap="xs">
            <Button variant="default" onClick={() => setBulk('member_import')}>
              {t('members.import')}
            </Button>
            <Button variant="default" onClick={() => setBulk('points_adjustment')}>
              {t('members.bulkAdjust')}
            </Button>
          </Group>
        )}
      </Group>
      <BulkOperationDialog kind={bulk} onClose={() => setBulk(null)} />
      <form onSubmit={submit} role="search">
        <Group align="end">
          <SegmentedControl
            aria-label={t('members.searchBy')}
            value={by}
            onChange={(value) => setBy(value as SearchBy)}
            data={[
              { value: 'externalId', label: t('members.externalId') },
              { value: 'email', label: t('members.email') },
              { value: 'name', label: t('members.name') },
            ]}
          />
          <TextInput
            label={t('members.search')}
            description={by === 'name' ? t('members.nameSearchHint') : undefined}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
          />
          <Button type="submit">{t('common.search')}</Button>
        </Group>
      </form>
      <ProblemAlert error={members.error} />
      <Table.ScrollContainer minWidth={600}>
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('members.externalId')}</Table.Th>
              <Table.Th>{t('members.name')}</Table.Th>
              <Table.Th>{t('members.email')}</Table.Th>
              <Table.Th>{t('members.tier')}</Table.Th>
              <Table.Th>{t('members.balance')}</Table.Th>
              <Table.Th>{t('members.status')}</Table.Th>
              <Table.Th>{t('members.since')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {members.data?.data.map((member) => (
              <Table.Tr key={member.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/members/${member.id}`}>
                    {member.externalId}
                  </Anchor>
                </Table.Td>
                <Table.Td>{member.name ?? '–'}</Table.Td>
                <Table.Td>{member.email ?? '–'}</Table.Td>
                <Table.Td>{member.tier ?? '–'}</Table.Td>
                <Table.Td>{formatNumber(member.balance.available)}</Table.Td>
                <Table.Td>
                  <MemberStatusBadge status={member.status} />
                </Table.Td>
                <Table.Td>{formatDate(member.createdAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {members.data?.data.length === 0 && <p>{t('members.none')}</p>}
      <Group>
        {cursor && <Button variant="default" onClick={() => setCursor(undefined)}>{t('common.first')}</Button>}
        {members.data?.nextCursor && (
          <Button variant="default" onClick={() => setCursor(members.data?.nextCursor ?? undefined)}>
            {t('common.next')}
          </Button>
        )}
      </Group>
    </Stack>
  );
}
