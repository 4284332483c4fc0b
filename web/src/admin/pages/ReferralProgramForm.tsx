/**
 * The referral programme's settings form (`PUT /v1/referral-program`, README "Referrals"). A PUT replaces every
 * setting, so the form sends them all; parts the programme may leave out are sent as null when switched off
 * (no cap, no ladder, the default share messages). Money is typed in the programme's currency and sent in
 * minor units. The server's refusals name their field by pointer (`/ladder/1/from`,
 * `/referrerReward/rewardId`), and the form's values are shaped like the body so each lands under its input.
 */
import { useState } from 'react';
import {
  ActionIcon, Button, Checkbox, Fieldset, Group, NumberInput, Radio, Select, SimpleGrid, Stack, Switch, Text, Textarea, TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { randomId } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconTrash } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { focusSoon } from '../../shared/focus';
import { formErrors, ProblemAlert } from '../../shared/ProblemAlert';
import { fromMinor, localized, minorUnitDigits, toMinor } from '../../shared/format';

export type ReferralProgram = paths['/v1/referral-program']['get']['responses'][200]['content']['application/json'];
type ReferralProgramBody = paths['/v1/referral-program']['put']['requestBody']['content']['application/json'];
type RewardSpec = ReferralProgramBody['referrerReward'];
export type CapPeriod = NonNullable<ReferralProgramBody['caps']>['perReferrer']['period'];
export type Reward = paths['/v1/rewards']['get']['responses'][200]['content']['application/json']['data'][number];

export const capPeriods: CapPeriod[] = ['day', 'week', 'month', 'year', 'lifetime'];
/** The scoring module's thresholds, which the server uses when a programme sets none (README, Fraud prevention). */
const defaultFraud = { reviewAbove: 30, rejectAbove: 80 };
/** The server's limit on ladder steps. */
const maxLadderSteps = 50;

interface RewardDraft {
  kind: 'points' | 'reward';
  points: number | string;
  rewardId: string | null;
}

interface ProgramDraft {
  enabled: boolean;
  referrerReward: RewardDraft;
  friendReward: RewardDraft;
  qualification: { minOrderTotal: number | string; afterReturnWindow: boolean };
  validityDays: number | string;
  landingUrl: string;
  capped: boolean;
  caps: { perReferrer: { count: number | string; period: CapPeriod } };
  /** `key` keeps a step's inputs with it when one above is removed; not sent. */
  ladder: { key: string; from: number | string; points: number | string }[];
  fraud: { reviewAbove: number | string; rejectAbove: number | string };
  messages: { en: string; nl: string };
}

const rewardDraftOf = (spec: RewardSpec | undefined): RewardDraft =>
  spec && 'rewardId' in spec ? { kind: 'reward', points: '', rewardId: spec.rewardId } : { kind: 'points', points: spec?.points ?? '', rewardId: null };

function draftOf(program: ReferralProgram | null, currency: string): ProgramDraft {
  return {
    // A new programme starts switched off, so nobody is rewarded before its settings are checked.
    enabled: program?.enabled ?? false,
    referrerReward: rewardDraftOf(program?.referrerReward),
    friendReward: rewardDraftOf(program?.friendReward),
    qualification: {
      minOrderTotal: program ? fromMinor(program.qualification.minOrderTotal, currency) : 0,
      afterReturnWindow: program?.qualification.afterReturnWindow ?? true,
    },
    validityDays: program?.validityDays ?? 30,
    landingUrl: program?.landingUrl ?? '',
    capped: Boolean(program?.caps),
    caps: { perReferrer: program?.caps?.perReferrer ?? { count: 10, period: 'month' } },
    ladder: (program?.ladder ?? []).map((step) => ({ key: randomId('step-'), ...step })),
    fraud: program?.fraud ?? defaultFraud,
    messages: { en: program?.messages?.en ?? '', nl: program?.messages?.nl ?? '' },
  };
}

const rewardOf = (draft: RewardDraft): RewardSpec => (draft.kind === 'points' ? { points: Number(draft.points) } : { rewardId: draft.rewardId ?? '' });

function bodyOf(draft: ProgramDraft, currency: string): ReferralProgramBody {
  const en = draft.messages.en.trim();
  const nl = draft.messages.nl.trim();
  return {
    enabled: draft.enabled,
    referrerReward: rewardOf(draft.referrerReward),
    friendReward: rewardOf(draft.friendReward),
    qualification: { minOrderTotal: toMinor(Number(draft.qualification.minOrderTotal), currency), afterReturnWindow: draft.qualification.afterReturnWindow },
    validityDays: Number(draft.validityDays),
    landingUrl: draft.landingUrl.trim(),
    caps: draft.capped ? { perReferrer: { count: Number(draft.caps.perReferrer.count), period: draft.caps.perReferrer.period } } : null,
    ladder: draft.ladder.length > 0 ? draft.ladder.map((step) => ({ from: Number(step.from), points: Number(step.points) })) : null,
    fraud: { reviewAbove: Number(draft.fraud.reviewAbove), rejectAbove: Number(draft.fraud.rejectAbove) },
    messages: en || nl ? { ...(en ? { en } : {}), ...(nl ? { nl } : {}) } : null,
  };
}


export function ReferralProgramForm(props: { program: ReferralProgram | null; currency: string; rewards: Reward[]; onDone(): void }) {
  const { program, currency, rewards, onDone } = props;
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [initialValues] = useState(() => draftOf(program, currency));
  const required = (value: unknown) => (value === '' || value === null || (typeof value === 'string' && !value.trim()) ? t('common.required') : null);
  const rewardRules = {
    points: (value: number | string, values: ProgramDraft, path: string) => (values[path.split('.')[0] as 'referrerReward'].kind === 'points' ? required(value) : null),
    rewardId: (value: string | null, values: ProgramDraft, path: string) => (values[path.split('.')[0] as 'referrerReward'].kind === 'reward' ? required(value) : null),
  };
  const form = useForm<ProgramDraft>({
    mode: 'controlled',
    initialValues,
    validate: {
      referrerReward: rewardRules,
      friendReward: rewardRules,
      qualification: { minOrderTotal: required },
      validityDays: required,
      landingUrl: required,
      caps: { perReferrer: { count: (value, values) => (values.capped ? required(value) : null) } },
      ladder: { from: required, points: required },
      fraud: { reviewAbove: required, rejectAbove: required },
    },
  });
  const save = useMutation({
    mutationFn: async (body: ReferralProgramBody) => unwrap(await api().PUT('/v1/referral-program', { body })),
    onSuccess: (saved) => {
      queryClient.setQueryData(['referral-program'], saved);
      notifications.show({ message: t('referralProgram.saved') });
      onDone();
    },
    onError: (error) => form.setErrors(formErrors(error)),
  });

  const values = form.values;
  const digits = minorUnitDigits(currency);
  // Rewards only the referral programme gives first: a catalogue reward also stays on sale for points.
  const optionOf = (reward: Reward) => ({
    value: reward.id,
    label: reward.active ? localized(reward.name) : t('referralProgram.inactiveReward', { name: localized(reward.name) }),
  });
  const rewardOptions = (['referral', 'catalogue'] as const)
    .map((audience) => ({ group: t(`rewards.audiences.${audience}`), items: rewards.filter((reward) => reward.audience === audience).map(optionOf) }))
    .filter((group) => group.items.length > 0);

  const addStep = () => {
    const key = randomId('step-');
    const last = values.ladder.at(-1);
    form.clearErrors();
    form.insertListItem('ladder', { key, from: last ? Number(last.from) + 1 : 1, points: '' });
    focusSoon(`${key}-from`);
  };
  const removeStep = (index: number) => {
    // Errors name steps by position; once one goes, those positions mean other steps.
    form.clearErrors();
    form.removeListItem('ladder', index);
    focusSoon('referral-add-step');
  };

  const rewardFields = (side: 'referrerReward' | 'friendReward') => (
    <Fieldset legend={t(`referralProgram.${side}`)}>
      <Stack gap="sm">
        <Radio.Group label={t('referralProgram.rewardKind')} {...form.getInputProps(`${side}.kind`)}>
          <Group mt={4}>
            <Radio value="points" label={t('referralProgram.kinds.points')} />
            <Radio value="reward" label={t('referralProgram.kinds.reward')} />
          </Group>
        </Radio.Group>
        {values[side].kind === 'points' ? (
          <NumberInput label={t('referralProgram.points')} required min={1} allowDecimal={false} {...form.getInputProps(`${side}.points`)} />
        ) : (
          <Select
            label={t('referralProgram.reward')}
            description={t('referralProgram.rewardHint')}
            required
            searchable
            nothingFoundMessage={t('referralProgram.noRewards')}
            data={rewardOptions}
            {...form.getInputProps(`${side}.rewardId`)}
          />
        )}
      </Stack>
    </Fieldset>
  );

  return (
    <form noValidate onSubmit={form.onSubmit((draft) => save.mutate(bodyOf(draft, currency)))}>
      <Stack>
        <ProblemAlert error={save.error} />
        {/* Opened on purpose by the Edit button, the form takes the focus from it. */}
        <Switch autoFocus label={t('referralProgram.enabled')} description={t('referralProgram.enabledHint')} {...form.getInputProps('enabled', { type: 'checkbox' })} />
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          {rewardFields('referrerReward')}
          {rewardFields('friendReward')}
        </SimpleGrid>

        <Fieldset legend={t('referralProgram.qualification')}>
          <Stack gap="sm">
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <NumberInput
                label={t('referralProgram.minOrderTotal', { currency })}
                description={t('referralProgram.minOrderTotalHint')}
                required
                min={0}
                decimalScale={digits}
                allowDecimal={digits > 0}
                {...form.getInputProps('qualification.minOrderTotal')}
              />
              <NumberInput
                label={t('referralProgram.validityDays')}
                description={t('referralProgram.validityDaysHint')}
                required
                min={1}
                max={3650}
                allowDecimal={false}
                {...form.getInputProps('validityDays')}
              />
            </SimpleGrid>
            <Checkbox
              label={t('referralProgram.afterReturnWindow')}
              description={t('referralProgram.afterReturnWindowHint')}
              {...form.getInputProps('qualification.afterReturnWindow', { type: 'checkbox' })}
            />
          </Stack>
        </Fieldset>

        <TextInput type="url" label={t('referralProgram.landingUrl')} description={t('referralProgram.landingUrlHint')} required {...form.getInputProps('landingUrl')} />

        <Fieldset legend={t('referralProgram.cap')}>
          <Stack gap="sm">
            <Checkbox label={t('referralProgram.capped')} description={t('referralProgram.cappedHint')} {...form.getInputProps('capped', { type: 'checkbox' })} />
            {values.capped && (
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <NumberInput label={t('referralProgram.capCount')} required min={1} allowDecimal={false} {...form.getInputProps('caps.perReferrer.count')} />
                <Select
                  label={t('referralProgram.capPeriod')}
                  allowDeselect={false}
                  data={capPeriods.map((period) => ({ value: period, label: t(`referralProgram.periods.${period}`) }))}
                  {...form.getInputProps('caps.perReferrer.period')}
                />
              </SimpleGrid>
            )}
          </Stack>
        </Fieldset>

        <Fieldset legend={t('referralProgram.ladder')}>
          <Stack gap="sm">
            <Text size="sm" c="dimmed">
              {t('referralProgram.ladderHint')}
            </Text>
            {values.ladder.map((step, index) => (
              <Group key={step.key} align="end" wrap="nowrap" role="group" aria-label={t('referralProgram.step', { number: index + 1 })}>
                <NumberInput id={`${step.key}-from`} label={t('referralProgram.stepFrom')} required min={1} allowDecimal={false} {...form.getInputProps(`ladder.${index}.from`)} />
                <NumberInput label={t('referralProgram.stepPoints')} required min={1} allowDecimal={false} {...form.getInputProps(`ladder.${index}.points`)} />
                <ActionIcon color="red" variant="subtle" mb={4} aria-label={t('referralProgram.removeStep', { number: index + 1 })} onClick={() => removeStep(index)}>
                  <IconTrash size={16} aria-hidden />
                </ActionIcon>
              </Group>
            ))}
            <Group>
              <Button id="referral-add-step" variant="default" size="xs" onClick={addStep} disabled={values.ladder.length >= maxLadderSteps}>
                {t('referralProgram.addStep')}
              </Button>
            </Group>
          </Stack>
        </Fieldset>

        <Fieldset legend={t('referralProgram.fraud')}>
          <Stack gap="sm">
            <Text size="sm" c="dimmed">
              {t('referralProgram.fraudHint')}
            </Text>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <NumberInput label={t('referralProgram.reviewAbove')} required min={0} allowDecimal={false} {...form.getInputProps('fraud.reviewAbove')} />
              <NumberInput label={t('referralProgram.rejectAbove')} required min={0} allowDecimal={false} {...form.getInputProps('fraud.rejectAbove')} />
            </SimpleGrid>
          </Stack>
        </Fieldset>

        <Fieldset legend={t('referralProgram.messages')}>
          <Stack gap="sm">
            <Text size="sm" c="dimmed">
              {t('referralProgram.messagesHint')}
            </Text>
            {(['en', 'nl'] as const).map((locale) => (
              <Textarea
                key={locale}
                label={t('referralProgram.messageIn', { language: t(`languages.${locale}`) })}
                autosize
                minRows={2}
                maxLength={1000}
                {...form.getInputProps(`messages.${locale}`)}
              />
            ))}
          </Stack>
        </Fieldset>

        <Group justify="end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {t('referralProgram.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
