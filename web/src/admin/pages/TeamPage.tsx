import { useState, type FormEvent } from 'react';
import { Alert, Button, Code, Group, Select, Stack, Table, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { Role } from '../../api/types';
import { fieldError, ProblemAlert } from '../../shared/ProblemAlert';
import { formatDate } from '../../shared/format';

const roles: Role[] = ['owner', 'manager', 'support', 'analyst'];

export function TeamPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('support');
  const team = useQuery({ queryKey: ['team'], queryFn: async () => unwrap(await api().GET('/v1/team')) });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['team'] });
  const invite = useMutation({
    mutationFn: async () => unwrap(await api().POST('/v1/team', { body: { email, name, role } })),
    onSuccess: () => {
      setEmail('');
      setName('');
      refresh();
    },
  });
  const change = useMutation({
    mutationFn: async ({ userId, role: next }: { userId: string; role: Role }) =>
      unwrap(await api().PATCH('/v1/team/{userId}', { params: { path: { userId } }, body: { role: next } })),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: async (userId: string) => unwrap(await api().DELETE('/v1/team/{userId}', { params: { path: { userId } } })),
    onSuccess: refresh,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate();
  };
  return (
    <Stack>
      <Title order={2}>{t('team.title')}</Title>
      <ProblemAlert error={team.error ?? change.error ?? remove.error} />
      <Table.ScrollContainer minWidth={600}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('team.email')}</Table.Th>
              <Table.Th>{t('team.name')}</Table.Th>
              <Table.Th>{t('team.role')}</Table.Th>
              <Table.Th>{t('team.since')}</Table.Th>
              <Table.Th>{t('common.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {team.data?.data.map((member) => (
              <Table.Tr key={member.userId}>
                <Table.Td>{member.email}</Table.Td>
                <Table.Td>{member.name ?? '–'}</Table.Td>
                <Table.Td>
                  <Select
                    aria-label={t('team.roleOf', { email: member.email })}
                    size="xs"
                    allowDeselect={false}
                    value={member.role}
                    onChange={(value) => value && change.mutate({ userId: member.userId, role: value as Role })}
                    data={roles.map((value) => ({ value, label: t(`roles.${value}`) }))}
                  />
                </Table.Td>
                <Table.Td>{formatDate(member.createdAt)}</Table.Td>
                <Table.Td>
                  <Button size="xs" color="red" variant="outline" onClick={() => remove.mutate(member.userId)} aria-label={t('team.removeNamed', { email: member.email })}>
                    {t('team.remove')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <form onSubmit={submit}>
        <Stack maw={480}>
          <Title order={3} size="h4">
            {t('team.invite')}
          </Title>
          <ProblemAlert error={invite.error} />
          {invite.data?.temporaryPassword && (
            <Alert color="yellow" title={t('team.temporaryPassword')}>
              {t('team.temporaryPasswordOnce')} <Code>{invite.data.temporaryPassword}</Code>
            </Alert>
          )}
          <TextInput label={t('team.email')} type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={fieldError(invite.error, '/email')} />
          <TextInput label={t('team.name')} required value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Select label={t('team.role')} allowDeselect={false} value={role} onChange={(value) => value && setRole(value as Role)} data={roles.map((value) => ({ value, label: t(`roles.${value}`) }))} />
          <Group>
            <Button type="submit" loading={invite.isPending}>
              {t('team.invite')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
