import { useRef, useState, type FormEvent } from 'react';
import { Badge, Box, Button, FileButton, Group, Image, Modal, NumberInput, Select, SimpleGrid, Stack, Switch, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import type { Role } from '../../api/types';
import { fieldError, ProblemAlert } from '../../shared/ProblemAlert';
import { formatNumber, localized } from '../../shared/format';
import { useSession } from '../session';

type Reward = paths['/v1/rewards']['get']['responses'][200]['content']['application/json']['data'][number];
type Kind = Reward['kind'];
type Audience = Reward['audience'];
const kinds: Kind[] = ['discount_fixed', 'discount_percent', 'free_product', 'gift_card', 'experience', 'donation'];
const audiences: Audience[] = ['catalogue', 'referral'];
const audienceFilters = ['all', 'catalogue', 'referral'] as const;
type AudienceFilter = (typeof audienceFilters)[number];
const locales = ['en', 'nl'] as const;

/** The roles holding rewards:write (src/domain/roles.ts); the server refuses the others regardless. */
const rewardWriters: readonly Role[] = ['owner', 'manager'];

/** What PUT /v1/rewards/{id}/image takes (src/domain/rewards/reward-image.ts); checked here to say so at once. */
const pictureTypes: readonly string[] = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];
const maxPictureBytes = 512 * 1024;

/**
 * A reward's picture: shown, and for those who may change rewards replaced or removed. The file goes as the
 * raw body with its own Content-Type, not as JSON or a form.
 */
export function RewardPicture({ reward, canChange }: { reward: Reward; canChange: boolean }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [imageUrl, setImageUrl] = useState(reward.imageUrl);
  const [refusal, setRefusal] = useState<string | null>(null);
  const resetRef = useRef<() => void>(null);
  const name = localized(reward.name);
  const changed = (updated: { imageUrl: string | null }, message: string) => {
    setImageUrl(updated.imageUrl);
    notifications.show({ message });
    void queryClient.invalidateQueries({ queryKey: ['rewards'] });
  };
  const upload = useMutation({
    mutationFn: async (file: File) => {
      // The bytes rather than the File: every fetch takes an ArrayBuffer, while a Blob from another realm (jsdom's,
      // in the component tests) is not a body Node's fetch understands.
      const bytes = await file.arrayBuffer();
      return unwrap(
        await api().PUT('/v1/rewards/{id}/image', {
          params: { path: { id: reward.id } },
          body: bytes,
          // openapi-fetch would send the body as JSON; the picture goes as it is.
          bodySerializer: () => bytes,
          headers: { 'Content-Type': file.type },
        }),
      );
    },
    onSuccess: (updated) => changed(updated, t('rewards.pictureSaved')),
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await api().DELETE('/v1/rewards/{id}/image', { params: { path: { id: reward.id } } })),
    onSuccess: (updated) => changed(updated, t('rewards.pictureRemoved')),
  });

  const choose = (file: File | null) => {
    // Lets the same file be chosen again after a refusal.
    resetRef.current?.();
    upload.reset();
    remove.reset();
    setRefusal(null);
    if (!file) return;
    if (!pictureTypes.includes(file.type)) setRefusal(t('rewards.pictureWrongType'));
    else if (file.size > maxPictureBytes) setRefusal(t('rewards.pictureTooLarge', { size: formatNumber(Math.ceil(file.size / 1024)) }));
    else upload.mutate(file);
  };

  return (
    <Stack gap="xs">
      <Text size="sm" fw={500}>
        {t('rewards.picture')}
      </Text>
      {imageUrl ? <Image src={imageUrl} alt={name} w={200} h={150} fit="cover" radius="sm" /> : <Text size="sm" c="dimmed">{t('rewards.noPicture')}</Text>}
      {canChange && (
        <>
          <Group gap="xs">
            <FileButton onChange={choose} accept={pictureTypes.join(',')} resetRef={resetRef}>
              {(props) => (
                <Button {...props} variant="default" size="xs" loading={upload.isPending}>
                  {imageUrl ? t('rewards.replacePicture') : t('rewards.uploadPicture')}
                </Button>
              )}
            </FileButton>
            {imageUrl && (
              <Button variant="subtle" color="red" size="xs" loading={remove.isPending} onClick={() => remove.mutate()}>
                {t('rewards.removePicture')}
              </Button>
            )}
          </Group>
          <Text size="xs" c="dimmed">
            {t('rewards.pictureHint')}
          </Text>
        </>
      )}
      {refusal && (
        <Text size="sm" c="red" role="alert">
          {refusal}
        </Text>
      )}
      <ProblemAlert error={upload.error ?? remove.error} />
    </Stack>
  );
}

interface Draft {
  name: Record<string, string>;
  description: Record<string, string>;
  pointsCost: number | string;
  kind: Kind;
  value: number | string;
  stock: number | string;
  sku: string;
  active: boolean;
  audience: Audience;
}

function draftOf(reward: Reward | null): Draft {
  const perLocale = (value: string | Record<string, string> | null | undefined) =>
    typeof value === 'string' ? { en: value } : { ...(value ?? {}) };
  return {
    name: perLocale(reward?.name),
    description: perLocale(reward?.description),
    pointsCost: reward?.pointsCost ?? '',
    kind: reward?.kind ?? 'free_product',
    value: reward?.value ?? '',
    stock: reward?.stock ?? '',
    sku: reward?.sku ?? '',
    active: reward?.active ?? true,
    audience: reward?.audience ?? 'catalogue',
  };
}

/** Leaves out empty locales, so a reward named only in English stays valid. */
const filled = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).filter(([, text]) => text.trim()));

function RewardForm({ reward, canEdit, onDone }: { reward: Reward | null; canEdit: boolean; onDone(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(reward));
  const save = useMutation({
    mutationFn: async () => {
      const description = filled(draft.description);
      const body = {
        name: filled(draft.name),
        description: Object.keys(description).length ? description : null,
        pointsCost: Number(draft.pointsCost),
        kind: draft.kind,
        value: draft.value === '' ? null : Number(draft.value),
        stock: draft.stock === '' ? null : Number(draft.stock),
        sku: draft.sku.trim() ? draft.sku.trim() : null,
        active: draft.active,
        audience: draft.audience,
      };
      return reward
        ? unwrap(await api().PATCH('/v1/rewards/{id}', { params: { path: { id: reward.id } }, body }))
        : unwrap(await api().POST('/v1/rewards', { body }));
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['rewards'] });
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const setLocale = (field: 'name' | 'description', locale: string, text: string) =>
    setDraft((current) => ({ ...current, [field]: { ...current[field], [locale]: text } }));

  return (
    <form onSubmit={submit}>
      <Stack>
        <ProblemAlert error={save.error} />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {locales.map((locale) => (
            <TextInput
              key={locale}
              label={t('rewards.nameIn', { language: t(`languages.${locale}`) })}
              required={locale === 'en'}
              value={draft.name[locale] ?? ''}
              onChange={(e) => setLocale('name', locale, e.currentTarget.value)}
              error={fieldError(save.error, `/name/${locale}`) ?? (locale === 'en' ? fieldError(save.error, '/name') : undefined)}
            />
          ))}
          {locales.map((locale) => (
            <Textarea
              key={locale}
              label={t('rewards.descriptionIn', { language: t(`languages.${locale}`) })}
              autosize
              value={draft.description[locale] ?? ''}
              onChange={(e) => setLocale('description', locale, e.currentTarget.value)}
            />
          ))}
        </SimpleGrid>
        <Select
          label={t('rewards.audience')}
          description={t('rewards.audienceHint')}
          allowDeselect={false}
          value={draft.audience}
          onChange={(value) => value && setDraft({ ...draft, audience: value as Audience })}
          data={audiences.map((audience) => ({ value: audience, label: t(`rewards.audiences.${audience}`) }))}
          error={fieldError(save.error, '/audience')}
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <NumberInput
            label={t('rewards.pointsCost')}
            description={draft.audience === 'referral' ? t('rewards.pointsCostReferralHint') : undefined}
            required
            min={1}
            allowDecimal={false}
            value={draft.pointsCost}
            onChange={(value) => setDraft({ ...draft, pointsCost: value })}
            error={fieldError(save.error, '/pointsCost')}
          />
          <Select
            label={t('rewards.kind')}
            allowDeselect={false}
            value={draft.kind}
            onChange={(value) => value && setDraft({ ...draft, kind: value as Kind })}
            data={kinds.map((kind) => ({ value: kind, label: t(`rewards.kinds.${kind}`) }))}
          />
          <NumberInput label={t('rewards.value')} description={t('rewards.valueHint')} allowDecimal={false} value={draft.value} onChange={(value) => setDraft({ ...draft, value })} error={fieldError(save.error, '/value')} />
          {/* The server requires the product for a free product; for other kinds it is optional. */}
          <TextInput label={t('rewards.sku')} description={t('rewards.skuHint')} required={draft.kind === 'free_product'} value={draft.sku} onChange={(e) => setDraft({ ...draft, sku: e.currentTarget.value })} error={fieldError(save.error, '/sku')} />
          <NumberInput label={t('rewards.stock')} description={t('rewards.stockHint')} min={0} allowDecimal={false} value={draft.stock} onChange={(value) => setDraft({ ...draft, stock: value })} error={fieldError(save.error, '/stock')} />
        </SimpleGrid>
        <Switch label={t('rewards.active')} checked={draft.active} onChange={(e) => setDraft({ ...draft, active: e.currentTarget.checked })} />
        {/* The picture belongs to a saved reward: PUT /v1/rewards/{id}/image needs its id. */}
        {reward ? (
          <RewardPicture reward={reward} canChange={canEdit} />
        ) : (
          canEdit && (
            <Text size="sm" c="dimmed">
              {t('rewards.pictureAfterSave')}
            </Text>
          )
        )}
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

export function RewardsPage() {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<Reward | 'new' | null>(null);
  // GET /v1/rewards lists the catalogue unless asked otherwise; the dashboard shows every reward by default.
  const [audience, setAudience] = useState<AudienceFilter>('all');
  const { role } = useSession();
  const canEdit = role !== null && rewardWriters.includes(role);
  const rewards = useQuery({
    queryKey: ['rewards', audience],
    queryFn: async () => unwrap(await api().GET('/v1/rewards', { params: { query: { audience, limit: 200 } } })),
  });
  return (
    <Stack>
      <Group justify="space-between" align="end">
        <Title order={2}>{t('rewards.title')}</Title>
        <Group align="end">
          <Select
            label={t('rewards.audienceFilter')}
            allowDeselect={false}
            value={audience}
            onChange={(value) => value && setAudience(value as AudienceFilter)}
            data={audienceFilters.map((value) => ({ value, label: t(`rewards.audienceFilters.${value}`) }))}
          />
          {canEdit && <Button onClick={() => setEditing('new')}>{t('rewards.create')}</Button>}
        </Group>
      </Group>
      <ProblemAlert error={rewards.error} />
      {rewards.data?.data.length === 0 && <Text>{t('rewards.none')}</Text>}
      <Table.ScrollContainer minWidth={600}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('rewards.name')}</Table.Th>
              <Table.Th>{t('rewards.kind')}</Table.Th>
              <Table.Th>{t('rewards.audience')}</Table.Th>
              <Table.Th>{t('rewards.pointsCost')}</Table.Th>
              <Table.Th>{t('rewards.redeemed')}</Table.Th>
              <Table.Th>{t('rewards.stock')}</Table.Th>
              <Table.Th>{t('rewards.active')}</Table.Th>
              <Table.Th>{t('common.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rewards.data?.data.map((reward) => (
              <Table.Tr key={reward.id}>
                <Table.Td>
                  <Group gap="sm" wrap="nowrap">
                    {reward.imageUrl ? (
                      <Image src={reward.imageUrl} alt={localized(reward.name)} w={40} h={40} fit="cover" radius="sm" loading="lazy" />
                    ) : (
                      <Box w={40} h={40} aria-hidden />
                    )}
                    <span>{localized(reward.name)}</span>
                  </Group>
                </Table.Td>
                <Table.Td>{t(`rewards.kinds.${reward.kind}`)}</Table.Td>
                <Table.Td>{t(`rewards.audiences.${reward.audience}`)}</Table.Td>
                <Table.Td>{formatNumber(reward.pointsCost)}</Table.Td>
                <Table.Td>{formatNumber(reward.redeemedCount)}</Table.Td>
                <Table.Td>{reward.stock === null ? t('rewards.unlimited') : formatNumber(reward.stock)}</Table.Td>
                <Table.Td>
                  <Badge color={reward.active ? 'teal' : 'gray'}>{reward.active ? t('common.yes') : t('common.no')}</Badge>
                </Table.Td>
                <Table.Td>
                  {canEdit && (
                    <Button size="xs" variant="default" onClick={() => setEditing(reward)} aria-label={t('rewards.editNamed', { name: localized(reward.name) })}>
                      {t('common.edit')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Modal size="lg" opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? t('rewards.create') : t('rewards.edit')}>
        {editing !== null && <RewardForm reward={editing === 'new' ? null : editing} canEdit={canEdit} onDone={() => setEditing(null)} />}
      </Modal>
    </Stack>
  );
}
