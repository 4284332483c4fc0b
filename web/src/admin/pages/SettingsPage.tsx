import { useState, type FormEvent } from 'react';
import { Button, Group, NumberInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';

type Program = paths['/v1/program']['get']['responses'][200]['content']['application/json'];
import { fieldError, ProblemAlert } from '../../shared/ProblemAlert';

const orNull = (value: number | string) => (value === '' ? null : Number(value));

export function SettingsPage() {
  const { t } = useTranslation();
  const program = useQuery({ queryKey: ['program'], queryFn: async () => unwrap(await api().GET('/v1/program')) });
  return (
    <Stack maw={520}>
      <Title order={2}>{t('settings.title')}</Title>
      <ProblemAlert error={program.error} />
      {/* Keyed by the saved programme so the form starts from the server's values after every save. */}
      {program.data && <SettingsForm key={JSON.stringify(program.data)} program={program.data} />}
    </Stack>
  );
}

function SettingsForm({ program }: { program: Program }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [name, setName] = useState(program.name);
  const [pendingDays, setPendingDays] = useState<number | string>(program.pendingDays);
  const [expiryMonths, setExpiryMonths] = useState<number | string>(program.expiryMonths ?? '');
  const [maxPointsPerDay, setMaxPointsPerDay] = useState<number | string>(program.maxPointsPerDay ?? '');
  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().PATCH('/v1/program', {
          body: { name, pendingDays: Number(pendingDays), expiryMonths: orNull(expiryMonths), maxPointsPerDay: orNull(maxPointsPerDay) },
        }),
      ),
    onSuccess: (data) => {
      queryClient.setQueryData(['program'], data);
      notifications.show({ message: t('settings.saved') });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        <ProblemAlert error={save.error} />
        <Text size="sm" c="dimmed">
          {t('settings.fixed', { currency: program.currency, timezone: program.timezone })}
        </Text>
        <TextInput label={t('settings.name')} required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(save.error, '/name')} />
        <NumberInput label={t('settings.pendingDays')} description={t('settings.pendingDaysHint')} min={0} allowDecimal={false} value={pendingDays} onChange={setPendingDays} error={fieldError(save.error, '/pendingDays')} />
        <NumberInput label={t('settings.expiryMonths')} description={t('settings.emptyIsNone')} min={1} allowDecimal={false} value={expiryMonths} onChange={setExpiryMonths} error={fieldError(save.error, '/expiryMonths')} />
        <NumberInput label={t('settings.maxPointsPerDay')} description={t('settings.emptyIsNone')} min={1} allowDecimal={false} value={maxPointsPerDay} onChange={setMaxPointsPerDay} error={fieldError(save.error, '/maxPointsPerDay')} />
        <Group>
          <Button type="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
