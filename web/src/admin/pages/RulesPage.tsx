/**
 * Earn rules. The condition is CEL, and the editor checks it as you type: a pause in typing sends the form's
 * current rule to `POST /v1/rules/try`, which runs the server's own parser and writes nothing, so the message
 * under the field is the one a save would give (422 `rule_condition_invalid` at `/rule/condition`). The same
 * endpoint backs the "Try it" panel: a sample event and member in, matched and points (or why not) out.
 * A rule that went over its cost bound on events awarded nothing there; the list shows how often and why.
 */
import { useEffect, useState, type FormEvent } from 'react';
import {
  Alert, Badge, Button, Divider, Group, Loader, Modal, NumberInput, Select, Stack, Switch, Table, Text, Textarea, TextInput, Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { ProblemError } from '../../api/problem';
import { fieldError, ProblemAlert } from '../../shared/ProblemAlert';
import { formatDateTime, formatNumber } from '../../shared/format';

type Rule = paths['/v1/rules']['get']['responses'][200]['content']['application/json']['data'][number];
type TryBody = paths['/v1/rules/try']['post']['requestBody']['content']['application/json'];
type DraftRule = TryBody['rule'];
type RuleEffect = DraftRule['effects'][number];
type TryResult = paths['/v1/rules/try']['post']['responses'][200]['content']['application/json'];

/** How long typing must pause before the condition is sent to the server's parser. */
export const conditionCheckDelayMs = 400;

/** The message of a problem about the rule's condition, wherever the body put the rule (`/condition`, `/rule/condition`). */
function conditionMessage(error: unknown, prefix: '' | '/rule'): string | undefined {
  return (
    fieldError(error, `${prefix}/condition`) ??
    (error instanceof ProblemError && error.code === 'rule_condition_invalid' && !error.problem.errors?.length ? error.problem.detail : undefined)
  );
}

/**
 * Asks the server's parser about `rule`'s condition: its message, or null when it compiles. Fields still being
 * filled in are stood in for, so an unfinished name or amount does not hide what is wrong with the condition.
 */
async function checkCondition(rule: DraftRule, signal: AbortSignal): Promise<string | null> {
  const complete = rule.effects.every((effect) => (effect.type === 'points' ? (effect.amount ?? 0) > 0 : (effect.factor ?? 0) >= 1));
  const body: TryBody = {
    rule: {
      ...rule,
      name: rule.name.trim() || 'draft',
      trigger: rule.trigger.trim() || 'purchase',
      effects: complete ? rule.effects : [{ type: 'points', amount: 1 }],
    },
    event: { type: rule.trigger.trim() || 'purchase', data: {} },
  };
  try {
    unwrap(await api().POST('/v1/rules/try', { body, signal }));
    return null;
  } catch (error) {
    // Another field's problem says nothing against the condition.
    return conditionMessage(error, '/rule') ?? null;
  }
}

function TryPanel({ rule }: { rule: DraftRule }) {
  const { t } = useTranslation();
  const [eventType, setEventType] = useState(rule.trigger || 'purchase');
  const [total, setTotal] = useState<number | string>(20);
  const [data, setData] = useState('');
  const [tier, setTier] = useState('');
  const [attributes, setAttributes] = useState('');
  const [jsonErrors, setJsonErrors] = useState<{ data?: string; attributes?: string }>({});
  const attempt = useMutation({
    mutationFn: async (body: TryBody): Promise<TryResult> => unwrap(await api().POST('/v1/rules/try', { body })),
  });

  const parseObject = (text: string): Record<string, unknown> | string => {
    if (!text.trim()) return {};
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : t('rules.try.notAnObject');
    } catch {
      return t('rules.try.invalidJson');
    }
  };

  const run = () => {
    const parsedData = parseObject(data);
    const parsedAttributes = parseObject(attributes);
    const errors = {
      ...(typeof parsedData === 'string' ? { data: parsedData } : {}),
      ...(typeof parsedAttributes === 'string' ? { attributes: parsedAttributes } : {}),
    };
    setJsonErrors(errors);
    if (typeof parsedData === 'string' || typeof parsedAttributes === 'string') return;
    // Money goes over the wire in minor units, as the shop sends it.
    const minor = total === '' ? undefined : Math.round(Number(total) * 100);
    attempt.mutate({
      rule,
      event: { type: eventType.trim() || rule.trigger, data: { ...parsedData, ...(minor === undefined ? {} : { total: minor }) } },
      member: { tier: tier.trim() || null, attributes: parsedAttributes },
    });
  };

  const result = attempt.data;
  // The condition's own problem is already under the condition field.
  const otherError = conditionMessage(attempt.error, '/rule') ? null : attempt.error;
  return (
    <Stack gap="sm" aria-labelledby="rule-try-title" component="section">
      <Divider />
      <Title order={3} size="h5" id="rule-try-title">
        {t('rules.try.title')}
      </Title>
      <Text size="sm" c="dimmed">
        {t('rules.try.hint')}
      </Text>
      <Group grow align="start">
        <TextInput label={t('rules.try.eventType')} value={eventType} onChange={(e) => setEventType(e.currentTarget.value)} error={fieldError(attempt.error, '/event/type')} />
        <NumberInput label={t('rules.try.total')} description={t('rules.try.totalHint')} value={total} onChange={setTotal} decimalScale={2} min={0} />
      </Group>
      <Textarea
        label={t('rules.try.data')}
        description={t('rules.try.dataHint')}
        placeholder='{"currency": "EUR"}'
        autosize
        minRows={2}
        styles={{ input: { fontFamily: 'monospace' } }}
        value={data}
        onChange={(e) => setData(e.currentTarget.value)}
        error={jsonErrors.data}
      />
      <Group grow align="start">
        <TextInput label={t('rules.try.tier')} description={t('rules.try.tierHint')} value={tier} onChange={(e) => setTier(e.currentTarget.value)} />
        <Textarea
          label={t('rules.try.attributes')}
          placeholder='{"vip": true}'
          autosize
          minRows={1}
          styles={{ input: { fontFamily: 'monospace' } }}
          value={attributes}
          onChange={(e) => setAttributes(e.currentTarget.value)}
          error={jsonErrors.attributes}
        />
      </Group>
      <Group>
        <Button variant="light" onClick={run} loading={attempt.isPending}>
          {t('rules.try.run')}
        </Button>
      </Group>
      <ProblemAlert error={otherError} />
      {result && !attempt.isPending && (
        <Alert role="status" color={result.matched ? 'teal' : 'gray'} title={result.matched ? t('rules.try.matched') : t('rules.try.notMatched')}>
          {result.matched ? t('rules.try.points', { points: formatNumber(result.points) }) : t(`rules.try.reasons.${result.reason ?? 'condition'}`)}
          {result.failure && <Text size="sm">{result.failure}</Text>}
        </Alert>
      )}
    </Stack>
  );
}

export function RuleForm({ rule, onDone }: { rule: Rule | null; onDone(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const first = (rule?.effects[0] ?? { type: 'points', amount: 10 }) as RuleEffect;
  const [name, setName] = useState(rule?.name ?? '');
  const [trigger, setTrigger] = useState(rule?.trigger ?? 'purchase');
  const [condition, setCondition] = useState(rule?.condition ?? '');
  const [effectType, setEffectType] = useState<RuleEffect['type']>(first.type);
  const [amount, setAmount] = useState<number | string>(first.type === 'points' ? (first.amount ?? '') : (first.factor ?? ''));
  const [active, setActive] = useState(rule?.active ?? true);

  // The first effect is the one the form edits; its other settings (per spend, item condition) and any further
  // effects are kept as they were, so trying or saving an existing rule does not quietly change it.
  const edited: RuleEffect =
    effectType === first.type
      ? { ...first, ...(effectType === 'points' ? { amount: Number(amount) } : { factor: Number(amount) }) }
      : effectType === 'points'
        ? { type: 'points', amount: Number(amount) }
        : { type: 'multiplier', factor: Number(amount) };
  const draft: DraftRule = {
    name,
    trigger,
    condition: condition.trim() || null,
    effects: [edited, ...(rule?.effects.slice(1) ?? [])] as RuleEffect[],
    validFrom: rule?.validFrom ?? null,
    validUntil: rule?.validUntil ?? null,
    active,
  };

  // The parser's last answer, and the draft (as JSON) it answered for; the field waits for a pause in typing.
  const [checked, setChecked] = useState<{ draft: string; message: string | null } | null>(null);
  const [settled] = useDebouncedValue(JSON.stringify(draft), conditionCheckDelayMs);
  useEffect(() => {
    const rule = JSON.parse(settled) as DraftRule;
    if (!rule.condition) return;
    const controller = new AbortController();
    checkCondition(rule, controller.signal)
      .then((message) => !controller.signal.aborted && setChecked({ draft: settled, message }))
      .catch(() => undefined);
    // A newer draft makes this answer stale: abort it so it can never overwrite the newer one.
    return () => controller.abort();
  }, [settled]);
  const checking = Boolean(draft.condition) && checked?.draft !== JSON.stringify(draft);

  const save = useMutation({
    mutationFn: async () => {
      const body = { ...draft, name, trigger };
      return rule
        ? unwrap(await api().PATCH('/v1/rules/{id}', { params: { path: { id: rule.id } }, body }))
        : unwrap(await api().POST('/v1/rules', { body }));
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['rules'] });
      onDone();
    },
  });
  const saveConditionError = conditionMessage(save.error, '');
  // An empty condition always matches; otherwise the parser's latest word, or what the last save said.
  const conditionError = !condition.trim() ? undefined : (saveConditionError ?? checked?.message ?? undefined);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <Stack>
      <form onSubmit={submit}>
        <Stack>
          {!saveConditionError && <ProblemAlert error={save.error} />}
          <TextInput label={t('rules.name')} required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(save.error, '/name')} />
          <TextInput label={t('rules.trigger')} description={t('rules.triggerHint')} required value={trigger} onChange={(e) => setTrigger(e.currentTarget.value)} error={fieldError(save.error, '/trigger')} />
          <Textarea
            label={t('rules.condition')}
            description={t('rules.conditionHint')}
            autosize
            minRows={2}
            spellCheck={false}
            styles={{ input: { fontFamily: 'monospace' } }}
            value={condition}
            onChange={(e) => {
              setCondition(e.currentTarget.value);
              // From here on the parser's answers speak for the field, not the failed save.
              if (saveConditionError) save.reset();
            }}
            error={conditionError}
            errorProps={{ 'aria-live': 'polite' }}
            rightSection={checking ? <Loader size="xs" aria-label={t('rules.checking')} /> : null}
          />
          <Group grow>
            <Select
              label={t('rules.effect')}
              allowDeselect={false}
              value={effectType}
              onChange={(value) => value && setEffectType(value as RuleEffect['type'])}
              data={[
                { value: 'points', label: t('rules.effects.points') },
                { value: 'multiplier', label: t('rules.effects.multiplier') },
              ]}
            />
            <NumberInput
              label={effectType === 'points' ? t('rules.amount') : t('rules.factor')}
              required
              value={amount}
              onChange={setAmount}
              decimalScale={effectType === 'points' ? 0 : 2}
              min={1}
              error={fieldError(save.error, '/effects/0/amount') ?? fieldError(save.error, '/effects/0/factor')}
            />
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
      <TryPanel rule={draft} />
    </Stack>
  );
}

/** How often a rule failed on an event (it awarded nothing there), and the last reason. */
function RuleFailures({ failures }: { failures: Rule['failures'] }) {
  const { t } = useTranslation();
  if (failures.count === 0) return <Text size="sm" c="dimmed">{t('rules.failuresNone')}</Text>;
  return (
    <Stack gap={2}>
      <Badge color="red">{t('rules.failuresCount', { count: failures.count, formatted: formatNumber(failures.count) })}</Badge>
      <Text size="xs" c="dimmed">
        {t('rules.lastFailure', { at: formatDateTime(failures.lastAt), version: failures.lastVersion ?? '–' })}
      </Text>
      <Text size="xs">{failures.lastReason}</Text>
    </Stack>
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
              <Table.Th>{t('rules.failures')}</Table.Th>
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
                  <RuleFailures failures={rule.failures} />
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
