/**
 * Earn rules. The condition is CEL, checked by the server's parser when the rule is saved (422
 * rule_condition_invalid, shown under the field). Checking as you type needs a side-effect-free endpoint
 * (a validate or dry-run route); the API has none yet, and POST/PATCH would save the rule, so the editor
 * checks on save only.
 */
import { useState, type FormEvent } from 'react';
import { Badge, Button, Group, Modal, NumberInput, Select, Stack, Switch, Table, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { ProblemError } from '../../api/problem';
import { fieldError, ProblemAlert } from '../../shared/ProblemAlert';

type Rule = paths['/v1/rules']['get']['responses'][200]['content']['application/json']['data'][number];
type Effect = { type: 'points'; amount?: number; perSpend?: number } | { type: 'multiplier'; factor?: number };

function RuleForm({ rule, onDone }: { rule: Rule | null; onDone(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const first = (rule?.effects[0] ?? { type: 'points', amount: 10 }) as Effect;
  const [name, setName] = useState(rule?.name ?? '');
  const [trigger, setTrigger] = useState(rule?.trigger ?? 'purchase');
  const [condition, setCondition] = useState(rule?.condition ?? '');
  const [effectType, setEffectType] = useState<Effect['type']>(first.type);
  const [amount, setAmount] = useState<number | string>(first.type === 'points' ? (first.amount ?? '') : (first.factor ?? ''));
  const [active, setActive] = useState(rule?.active ?? true);
  const save = useMutation({
    mutationFn: async () => {
      const effects = [effectType === 'points' ? { type: 'points' as const, amount: Number(amount) } : { type: 'multiplier' as const, factor: Number(amount) }];
      const body = { name, trigger, condition: condition.trim() || null, effects, active };
      return rule
        ? unwrap(await api().PATCH('/v1/rules/{id}', { params: { path: { id: rule.id } }, body }))
        : unwrap(await api().POST('/v1/rules', { body }));
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['rules'] });
      onDone();
    },
  });
  const conditionError =
    fieldError(save.error, '/condition') ??
    (save.error instanceof ProblemError && save.error.code === 'rule_condition_invalid' ? save.error.problem.detail : undefined);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        {!conditionError && <ProblemAlert error={save.error} />}
        <TextInput label={t('rules.name')} required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(save.error, '/name')} />
        <TextInput label={t('rules.trigger')} description={t('rules.triggerHint')} required value={trigger} onChange={(e) => setTrigger(e.currentTarget.value)} error={fieldError(save.error, '/trigger')} />
        <Textarea
          label={t('rules.condition')}
          description={t('rules.conditionHint')}
          autosize
          minRows={2}
          styles={{ input: { fontFamily: 'monospace' } }}
          value={condition}
          onChange={(e) => setCondition(e.currentTarget.value)}
          error={conditionError}
        />
        <Group grow>
          <Select
            label={t('rules.effect')}
            allowDeselect={false}
            value={effectType}
            onChange={(value) => value && setEffectType(value as Effect['type'])}
            data={[
              { value: 'points', label: t('rules.effects.points') },
              { value: 'multiplier', label: t('rules.effects.multiplier') },
            ]}
          />
          <NumberInput label={effectType === 'points' ? t('rules.amount') : t('rules.factor')} required value={amount} onChange={setAmount} decimalScale={effectType === 'points' ? 0 : 2} />
        </Group>
        <Switch label={t('rules.active')} checked={active} onChange={(e) => setActive(e.currentTarget.checked)} />
        <Group justify="end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function RulesPage() {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const rules = useQuery({ queryKey: ['rules'], queryFn: async () => unwrap(await api().GET('/v1/rules')) });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('rules.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('rules.create')}</Button>
      </Group>
      <ProblemAlert error={rules.error} />
      <Table.ScrollContainer minWidth={600}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('rules.name')}</Table.Th>
              <Table.Th>{t('rules.trigger')}</Table.Th>
              <Table.Th>{t('rules.condition')}</Table.Th>
              <Table.Th>{t('rules.active')}</Table.Th>
              <Table.Th>{t('common.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rules.data?.data.map((rule) => (
              <Table.Tr key={rule.id}>
                <Table.Td>{rule.name}</Table.Td>
                <Table.Td>{rule.trigger}</Table.Td>
                <Table.Td style={{ fontFamily: 'monospace' }}>{rule.condition ?? '–'}</Table.Td>
                <Table.Td>
                  <Badge color={rule.active ? 'teal' : 'gray'}>{rule.active ? t('common.yes') : t('common.no')}</Badge>
                </Table.Td>
                <Table.Td>
                  <Button size="xs" variant="default" onClick={() => setEditing(rule)}>
                    {t('common.edit')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Modal size="lg" opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? t('rules.create') : t('rules.edit')}>
        {editing !== null && <RuleForm rule={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
    </Stack>
  );
}
