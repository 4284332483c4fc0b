/**
 * The programme's tiers (`GET/PUT /v1/tiers`, README "Tiers and memberships"): the metric members qualify on
 * and the window it is counted over, the levels from lowest to highest with their thresholds, earn multipliers
 * and perks, and the retention policy (a review `reviewMonths` after reaching a level, a downgrade of one level
 * `graceDays` later). Everyone may read them; owners and managers edit them, and the server refuses anyone
 * else's PUT regardless.
 *
 * A PUT replaces the whole configuration, so the form always sends every level, in the order shown. The server
 * checks the rules (unique names, strictly increasing thresholds) and names the offending field by pointer,
 * which the form shows under that field; the form itself only insists on what it cannot send without. Spend
 * thresholds are money: the form takes them in the programme's currency and sends minor units, as the API
 * counts them.
 */
import { useState } from 'react';
import {
  ActionIcon, Button, Card, DataList, Fieldset, Group, List, NumberInput, Select, SimpleGrid, Stack, Table, TagsInput, Text, TextInput, Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { randomId } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconArrowDown, IconArrowUp, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { ProblemError } from '../../api/problem';
import type { paths } from '../../api/schema';
import { focusSoon } from '../../shared/focus';
import { formErrors, ProblemAlert } from '../../shared/ProblemAlert';
import { formatDateTime, formatMoney, formatNumber, fromMinor, minorUnitDigits, toMinor } from '../../shared/format';
import { mayConfigure, useSession } from '../session';

export type TierConfiguration = paths['/v1/tiers']['get']['responses'][200]['content']['application/json'];
type TierConfigurationBody = paths['/v1/tiers']['put']['requestBody']['content']['application/json'];
type Metric = TierConfiguration['metric'];
type WindowType = TierConfiguration['window']['type'];
type Distribution = paths['/v1/analytics/overview']['get']['responses'][200]['content']['application/json']['tiers'];

const metrics: Metric[] = ['points_earned', 'spend', 'purchases'];
const windowTypes: WindowType[] = ['rolling', 'calendar_year', 'lifetime'];
/** The server's limit (domain/tiers/tier.ts MAX_LEVELS). */
const maxLevels = 20;

interface LevelDraft {
  /** Keeps a level's inputs with it when levels are moved; not sent. */
  key: string;
  name: string;
  threshold: number | string;
  multiplier: number | string;
  perks: string[];
}

interface TiersDraft {
  metric: Metric;
  window: { type: WindowType; months: number | string };
  reviewMonths: number | string;
  graceDays: number | string;
  levels: LevelDraft[];
}

const newLevel = (): LevelDraft => ({ key: randomId('level-'), name: '', threshold: '', multiplier: 1, perks: [] });

function draftOf(configuration: TierConfiguration | null, currency: string): TiersDraft {
  if (!configuration) {
    return { metric: 'points_earned', window: { type: 'rolling', months: 12 }, reviewMonths: 12, graceDays: 0, levels: [newLevel()] };
  }
  const threshold = (value: number) => (configuration.metric === 'spend' ? fromMinor(value, currency) : value);
  return {
    metric: configuration.metric,
    // A window that is not rolling has no months; 12 is only where the field starts if it is switched to rolling.
    window: { type: configuration.window.type, months: configuration.window.months ?? 12 },
    reviewMonths: configuration.reviewMonths,
    graceDays: configuration.graceDays,
    levels: configuration.levels.map((level) => ({
      key: randomId('level-'),
      name: level.name,
      threshold: threshold(level.threshold),
      multiplier: level.multiplier,
      perks: [...level.perks],
    })),
  };
}

function bodyOf(draft: TiersDraft, currency: string): TierConfigurationBody {
  const threshold = (value: number | string) => (draft.metric === 'spend' ? toMinor(Number(value), currency) : Number(value));
  return {
    metric: draft.metric,
    window: draft.window.type === 'rolling' ? { type: 'rolling', months: Number(draft.window.months) } : { type: draft.window.type },
    reviewMonths: Number(draft.reviewMonths),
    graceDays: Number(draft.graceDays),
    levels: draft.levels.map((level) => ({
      name: level.name.trim(),
      threshold: threshold(level.threshold),
      multiplier: Number(level.multiplier),
      perks: level.perks,
    })),
  };
}

/** A threshold as a reader says it: "1,000 points", "€500.00", "5 purchases". */
function formatThreshold(t: TFunction, value: number, metric: Metric, currency: string): string {
  if (metric === 'spend') return formatMoney(value, currency);
  return t(`tiers.thresholdValue.${metric}`, { count: value, value: formatNumber(value) });
}

function windowSummary(t: TFunction, window: TierConfiguration['window']): string {
  return window.type === 'rolling' ? t('tiers.windowSummary.rolling', { count: window.months ?? 0 }) : t(`tiers.windowSummary.${window.type}`);
}


function TiersForm({ configuration, currency, onDone }: { configuration: TierConfiguration | null; currency: string; onDone(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [initialValues] = useState(() => draftOf(configuration, currency));
  const required = (value: unknown) => (value === '' || (typeof value === 'string' && !value.trim()) ? t('common.required') : null);
  const form = useForm<TiersDraft>({
    mode: 'controlled',
    initialValues,
    validate: {
      window: { months: (value, values) => (values.window.type === 'rolling' ? required(value) : null) },
      reviewMonths: required,
      graceDays: required,
      levels: { name: required, threshold: required, multiplier: required },
    },
  });
  const save = useMutation({
    mutationFn: async (body: TierConfigurationBody) => unwrap(await api().PUT('/v1/tiers', { body })),
    onSuccess: (saved) => {
      queryClient.setQueryData(['tiers'], saved);
      // Members whose level went away were placed again.
      void queryClient.invalidateQueries({ queryKey: ['tier-distribution'] });
      notifications.show({ message: t('tiers.saved') });
      onDone();
    },
    // A perk's pointer (`/levels/0/perks/2`) goes under the level's perks input, which holds them all.
    onError: (error) => form.setErrors(formErrors(error, (path) => path.replace(/^(levels\.\d+\.perks)\.\d+$/, '$1'))),
  });

  const { metric, levels } = form.values;
  const digits = metric === 'spend' ? minorUnitDigits(currency) : 0;
  // Errors name levels by position; once levels move, those positions mean other levels.
  const changeLevels = (change: () => void) => {
    form.clearErrors();
    save.reset();
    change();
  };
  const move = (index: number, to: number) => {
    const key = levels[index]!.key;
    changeLevels(() => form.reorderListItem('levels', { from: index, to }));
    const atEdge = to === 0 ? 'down' : to === levels.length - 1 ? 'up' : to < index ? 'up' : 'down';
    focusSoon(`${key}-${atEdge}`);
  };
  const remove = (index: number) => {
    changeLevels(() => form.removeListItem('levels', index));
    focusSoon('tiers-add-level');
  };
  const add = () => {
    const level = newLevel();
    changeLevels(() => form.insertListItem('levels', level));
    focusSoon(`${level.key}-name`);
  };

  return (
    <form noValidate onSubmit={form.onSubmit((values) => save.mutate(bodyOf(values, currency)))}>
      <Stack>
        <ProblemAlert error={save.error} />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            // Opened on purpose by the Edit button, the form takes the focus from it.
            autoFocus
            label={t('tiers.metric')}
            description={t('tiers.metricHint')}
            allowDeselect={false}
            data={metrics.map((value) => ({ value, label: t(`tiers.metrics.${value}`) }))}
            {...form.getInputProps('metric')}
          />
          <Select
            label={t('tiers.window')}
            allowDeselect={false}
            data={windowTypes.map((value) => ({ value, label: t(`tiers.windows.${value}`) }))}
            {...form.getInputProps('window.type')}
          />
          {form.values.window.type === 'rolling' && (
            <NumberInput
              label={t('tiers.windowMonths')}
              description={t('tiers.windowMonthsHint')}
              required
              min={1}
              max={120}
              allowDecimal={false}
              {...form.getInputProps('window.months')}
            />
          )}
          <NumberInput label={t('tiers.reviewMonths')} description={t('tiers.reviewMonthsHint')} required min={1} max={120} allowDecimal={false} {...form.getInputProps('reviewMonths')} />
          <NumberInput label={t('tiers.graceDays')} description={t('tiers.graceDaysHint')} required min={0} max={366} allowDecimal={false} {...form.getInputProps('graceDays')} />
        </SimpleGrid>

        <Title order={3} size="h4">
          {t('tiers.levels')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('tiers.levelsHint')}
        </Text>
        {form.errors.levels && (
          <Text size="sm" c="red" role="alert">
            {form.errors.levels}
          </Text>
        )}
        {levels.map((level, index) => {
          const number = index + 1;
          return (
            <Fieldset key={level.key} legend={t('tiers.level', { number })}>
              <SimpleGrid cols={{ base: 1, sm: 3 }}>
                <TextInput id={`${level.key}-name`} label={t('tiers.name')} required {...form.getInputProps(`levels.${index}.name`)} />
                <NumberInput
                  label={t(`tiers.threshold.${metric}`, { currency })}
                  required
                  min={0}
                  allowDecimal={digits > 0}
                  decimalScale={digits}
                  {...form.getInputProps(`levels.${index}.threshold`)}
                />
                <NumberInput label={t('tiers.multiplier')} required min={1} max={100} step={0.25} decimalScale={2} {...form.getInputProps(`levels.${index}.multiplier`)} />
              </SimpleGrid>
              <TagsInput mt="sm" label={t('tiers.perks')} description={t('tiers.perksHint')} splitChars={[]} {...form.getInputProps(`levels.${index}.perks`)} />
              <Group justify="end" gap="xs" mt="sm">
                <ActionIcon id={`${level.key}-up`} variant="default" aria-label={t('tiers.moveUp', { number })} disabled={index === 0} onClick={() => move(index, index - 1)}>
                  <IconArrowUp size={16} aria-hidden />
                </ActionIcon>
                <ActionIcon
                  id={`${level.key}-down`}
                  variant="default"
                  aria-label={t('tiers.moveDown', { number })}
                  disabled={index === levels.length - 1}
                  onClick={() => move(index, index + 1)}
                >
                  <IconArrowDown size={16} aria-hidden />
                </ActionIcon>
                <ActionIcon color="red" variant="subtle" aria-label={t('tiers.remove', { number })} disabled={levels.length === 1} onClick={() => remove(index)}>
                  <IconTrash size={16} aria-hidden />
                </ActionIcon>
              </Group>
            </Fieldset>
          );
        })}
        <Group justify="space-between">
          <Button id="tiers-add-level" variant="default" onClick={add} disabled={levels.length >= maxLevels}>
            {t('tiers.add')}
          </Button>
          <Group>
            <Button variant="default" onClick={onDone}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={save.isPending}>
              {t('tiers.save')}
            </Button>
          </Group>
        </Group>
      </Stack>
    </form>
  );
}

function TiersView({ configuration, currency, distribution }: { configuration: TierConfiguration; currency: string; distribution: Distribution | undefined }) {
  const { t } = useTranslation();
  const membersAt = (name: string | null) => distribution?.find((row) => row.tier === name)?.members ?? 0;
  return (
    <Stack>
      <Card withBorder>
        <DataList labelWidth={200}>
          <DataList.Item>
            <DataList.ItemLabel>{t('tiers.metric')}</DataList.ItemLabel>
            <DataList.ItemValue>{t(`tiers.metrics.${configuration.metric}`)}</DataList.ItemValue>
          </DataList.Item>
          <DataList.Item>
            <DataList.ItemLabel>{t('tiers.window')}</DataList.ItemLabel>
            <DataList.ItemValue>{windowSummary(t, configuration.window)}</DataList.ItemValue>
          </DataList.Item>
          <DataList.Item>
            <DataList.ItemLabel>{t('tiers.reviewMonths')}</DataList.ItemLabel>
            <DataList.ItemValue>{t('tiers.reviewSummary', { count: configuration.reviewMonths })}</DataList.ItemValue>
          </DataList.Item>
          <DataList.Item>
            <DataList.ItemLabel>{t('tiers.graceDays')}</DataList.ItemLabel>
            <DataList.ItemValue>{t('tiers.graceSummary', { count: configuration.graceDays })}</DataList.ItemValue>
          </DataList.Item>
        </DataList>
        <Text size="xs" c="dimmed" mt="sm">
          {t('tiers.version', { version: configuration.version, date: formatDateTime(configuration.updatedAt) })}
        </Text>
      </Card>
      <Table.ScrollContainer minWidth={600}>
        <Table striped>
          <Table.Caption>{t('tiers.levelsCaption')}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('tiers.name')}</Table.Th>
              <Table.Th>{t('tiers.qualifiesFrom')}</Table.Th>
              <Table.Th>{t('tiers.multiplier')}</Table.Th>
              <Table.Th>{t('tiers.perks')}</Table.Th>
              {distribution && <Table.Th>{t('tiers.members')}</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {configuration.levels.map((level) => (
              <Table.Tr key={level.name}>
                <Table.Td>{level.name}</Table.Td>
                <Table.Td>{formatThreshold(t, level.threshold, configuration.metric, currency)}</Table.Td>
                <Table.Td>{t('tiers.multiplierValue', { value: formatNumber(level.multiplier) })}</Table.Td>
                <Table.Td>
                  {level.perks.length === 0 ? (
                    <Text size="sm" c="dimmed">
                      {t('tiers.noPerks')}
                    </Text>
                  ) : (
                    <List size="sm">
                      {level.perks.map((perk) => (
                        <List.Item key={perk}>{perk}</List.Item>
                      ))}
                    </List>
                  )}
                </Table.Td>
                {distribution && <Table.Td>{formatNumber(membersAt(level.name))}</Table.Td>}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {distribution && (
        <Text size="sm" c="dimmed">
          {t('tiers.withoutLevel', { count: membersAt(null), value: formatNumber(membersAt(null)) })}
        </Text>
      )}
    </Stack>
  );
}

export function TiersPage() {
  const { t } = useTranslation();
  const { role } = useSession();
  const [editing, setEditing] = useState(false);
  const tiers = useQuery({ queryKey: ['tiers'], queryFn: async () => unwrap(await api().GET('/v1/tiers')) });
  // The currency of spend thresholds; every role may read the programme.
  const program = useQuery({ queryKey: ['program'], queryFn: async () => unwrap(await api().GET('/v1/program')) });
  // Members per current level is one figure of the analytics overview, whatever its period: ask for one day.
  const seesFigures = role !== null && role !== 'support';
  const distribution = useQuery({
    queryKey: ['tier-distribution'],
    enabled: seesFigures,
    queryFn: async () => {
      const to = new Date();
      const from = new Date(to.getTime() - 86_400_000);
      return unwrap(await api().GET('/v1/analytics/overview', { params: { query: { from: from.toISOString(), to: to.toISOString() } } })).tiers;
    },
  });

  const notSetUp = tiers.error instanceof ProblemError && tiers.error.code === 'not_found';
  const configuration = tiers.data ?? null;
  const currency = program.data?.currency;
  const canEdit = mayConfigure(role);
  const ready = currency !== undefined && (configuration !== null || notSetUp);

  return (
    <Stack maw={960}>
      <Group justify="space-between">
        <Title order={2}>{t('tiers.title')}</Title>
        {canEdit && ready && !editing && (
          <Button id="tiers-edit" onClick={() => setEditing(true)}>
            {configuration ? t('tiers.edit') : t('tiers.setUp')}
          </Button>
        )}
      </Group>
      {!notSetUp && <ProblemAlert error={tiers.error} />}
      <ProblemAlert error={program.error} />
      {role && !canEdit && (
        <Text size="sm" c="dimmed">
          {t('tiers.readOnly')}
        </Text>
      )}
      {notSetUp && !editing && <Text>{t('tiers.none')}</Text>}
      {ready && editing && (
        <TiersForm
          configuration={configuration}
          currency={currency}
          onDone={() => {
            setEditing(false);
            focusSoon('tiers-edit');
          }}
        />
      )}
      {ready && !editing && configuration && <TiersView configuration={configuration} currency={currency} distribution={distribution.data} />}
    </Stack>
  );
}
