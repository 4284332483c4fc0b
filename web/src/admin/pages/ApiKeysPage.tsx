import { useState, type FormEvent } from 'react';
import { Alert, Button, Code, CopyButton, Group, MultiSelect, Stack, Table, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { ApiScope } from '../../api/types';
import { fieldError, ProblemAlert } from '../../shared/ProblemAlert';
import { formatDate } from '../../shared/format';

// The scopes a key can hold, checked against the server's schema; `*` is everything.
const scopes: readonly ApiScope[] = [
  '*', 'members:read', 'members:write', 'events:write', 'program:write', 'rules:read', 'rules:write', 'rewards:read',
  'rewards:write', 'redemptions:write', 'coupons:write', 'tiers:read', 'tiers:write', 'memberships:write',
  'referrals:read', 'referrals:write', 'referrals:review', 'fraud:read', 'fraud:write', 'webhooks:read',
  'webhooks:write', 'analytics:read', 'team:write', 'keys:write', 'audit:read', 'portal:write',
];

export function ApiKeysPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<ApiScope[]>(['*']);
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: async () => unwrap(await api().GET('/v1/api-keys')) });
  const create = useMutation({
    mutationFn: async () => unwrap(await api().POST('/v1/api-keys', { body: { name, scopes: chosen } })),
    onSuccess: () => {
      setName('');
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: async (id: string) => unwrap(await api().DELETE('/v1/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Stack>
      <Title order={2}>{t('apiKeys.title')}</Title>
      <ProblemAlert error={keys.error ?? revoke.error} />
      {create.data && (
        <Alert color="yellow" title={t('apiKeys.created')}>
          {t('apiKeys.shownOnce')}
          <Group mt="xs">
            <Code>{create.data.key}</Code>
            <CopyButton value={create.data.key}>{({ copied, copy }) => <Button size="xs" onClick={copy}>{copied ? t('common.copied') : t('common.copy')}</Button>}</CopyButton>
          </Group>
        </Alert>
      )}
      <Table.ScrollContainer minWidth={600}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('apiKeys.prefix')}</Table.Th>
              <Table.Th>{t('apiKeys.name')}</Table.Th>
              <Table.Th>{t('apiKeys.scopes')}</Table.Th>
              <Table.Th>{t('apiKeys.createdAt')}</Table.Th>
              <Table.Th>{t('common.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {keys.data?.data.map((key) => (
              <Table.Tr key={key.id}>
                <Table.Td>
                  <Code>{key.prefix}…</Code>
                </Table.Td>
                <Table.Td>{key.name}</Table.Td>
                <Table.Td>{key.scopes.join(', ')}</Table.Td>
                <Table.Td>{formatDate(key.createdAt)}</Table.Td>
                <Table.Td>
                  {key.revokedAt ? (
                    t('apiKeys.revokedOn', { date: formatDate(key.revokedAt) })
                  ) : (
                    <Button size="xs" color="red" variant="outline" onClick={() => revoke.mutate(key.id)} aria-label={t('apiKeys.revokeNamed', { name: key.name })}>
                      {t('apiKeys.revoke')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <form onSubmit={submit}>
        <Stack maw={480}>
          <Title order={3} size="h4">
            {t('apiKeys.create')}
          </Title>
          <ProblemAlert error={create.error} />
          <TextInput label={t('apiKeys.name')} required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(create.error, '/name')} />
          <MultiSelect label={t('apiKeys.scopes')} data={scopes} value={chosen} onChange={setChosen} searchable />
          <Group>
            <Button type="submit" loading={create.isPending} disabled={!name.trim() || chosen.length === 0}>
              {t('apiKeys.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
