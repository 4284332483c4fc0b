/**
 * What a member sees of their loyalty account, on the shop's site (widget) or on its own page. Every call
 * goes to /v1/portal/{slug}/… with the member's token; the portal never holds an admin session.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Anchor, AspectRatio, Badge, Button, Card, Checkbox, Code, Container, CopyButton, Group, Image, List, Modal, Progress, SimpleGrid, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { createPortalClient, unwrap, type ApiClient } from '../api/client';
import type { PortalMe } from '../api/types';
import { ProblemError } from '../api/problem';
import { languageOf, setLanguage } from '../i18n';
import { LanguageSwitch } from '../shared/LanguageSwitch';
import { ProblemAlert } from '../shared/ProblemAlert';
import { focusSoon } from '../shared/focus';
import { formatDate, formatDateTime, formatNumber, localized } from '../shared/format';
import { forgetToken } from './token';

interface Props {
  slug: string;
  token: string | null;
  client?: ApiClient;
}

export function PortalApp({ slug, token, client: given }: Props) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const client = useMemo(() => given ?? (token ? createPortalClient(token) : null), [given, token]);
  const [deleted, setDeleted] = useState(false);
  if (deleted) return <Deleted />;
  if (!client) {
    return (
      <Container size="sm" py="md">
        <Alert color="yellow" title={t('portal.signInTitle')}>
          {t('portal.signIn')}
        </Alert>
      </Container>
    );
  }
  const onDeleted = () => {
    // The token names a member who no longer exists: forget it and everything read with it. The portal
    // unmounts, so no query is left to refetch (on focus, say) with a token that only answers 401 now.
    forgetToken();
    queryClient.clear();
    setDeleted(true);
  };
  return <Portal slug={slug} client={client} onDeleted={onDeleted} />;
}

/** What is left after "Delete my data": a goodbye, and no more calls to /v1. */
function Deleted() {
  const { t } = useTranslation();
  // The dialog and the button that opened it are gone; start screen readers and keyboards at the news.
  useEffect(() => focusSoon('portal-deleted-title'), []);
  return (
    <Container size="sm" py="xl">
      <Stack>
        <Title order={1} size="h2" id="portal-deleted-title" tabIndex={-1}>
          {t('portal.deleted.title')}
        </Title>
        <Text>{t('portal.deleted.body')}</Text>
        <Text>{t('portal.deleted.close')}</Text>
      </Stack>
    </Container>
  );
}

function Portal({ slug, client, onDeleted }: { slug: string; client: ApiClient; onDeleted(): void }) {
  const { t } = useTranslation();
  const path = { params: { path: { slug } } };
  const me = useQuery({ queryKey: ['me'], queryFn: async () => unwrap(await client.GET('/v1/portal/{slug}/me', path)) });

  // The member's own language wins over the browser's, unless they switch it here.
  const memberLanguage = languageOf(me.data?.locale);
  useEffect(() => {
    if (memberLanguage) setLanguage(memberLanguage, false);
  }, [memberLanguage]);

  if (me.error instanceof ProblemError && me.error.code === 'portal_token_invalid') {
    return (
      <Container size="sm" py="md">
        <Alert color="yellow" title={t('portal.signInTitle')}>
          {t('portal.expired')}
        </Alert>
      </Container>
    );
  }
  return (
    <Container size="md" py="md" px="sm">
      <Stack>
        <Group justify="space-between">
          <Title order={1} size="h2">
            {me.data?.program?.name ?? t('portal.title')}
          </Title>
          <LanguageSwitch />
        </Group>
        <ProblemAlert error={me.error} />
        {me.data && <Balance me={me.data} />}
        <Rewards slug={slug} client={client} />
        <Referrals slug={slug} client={client} />
        <History slug={slug} client={client} />
        <Privacy slug={slug} client={client} me={me.data} onDeleted={onDeleted} />
      </Stack>
    </Container>
  );
}

function Balance({ me }: { me: PortalMe }) {
  const { t } = useTranslation();
  const progress = me.tierProgress;
  const percent = progress && progress.needed ? Math.min(100, (progress.current / (progress.current + progress.needed)) * 100) : 100;
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }}>
      <Card withBorder>
        <Text size="sm" c="dimmed">
          {t('portal.balance')}
        </Text>
        <Text fz={32} fw={700}>
          {formatNumber(me.balance.available)}
        </Text>
        {me.balance.pending > 0 && <Text size="sm">{t('portal.pending', { points: formatNumber(me.balance.pending) })}</Text>}
        {me.balance.expiring.map((lot) => (
          <Text size="sm" c="red.9" key={lot.expiresAt}>
            {t('portal.expiring', { points: formatNumber(lot.points), date: formatDate(lot.expiresAt) })}
          </Text>
        ))}
      </Card>
      <Card withBorder>
        <Text size="sm" c="dimmed">
          {t('portal.tier')}
        </Text>
        <Text fz="xl" fw={700}>
          {me.tier ?? t('portal.noTier')}
        </Text>
        {progress?.nextTier && (
          <>
            <Progress value={percent} mt="xs" aria-label={t('portal.tierProgress', { tier: progress.nextTier })} />
            <Text size="sm" mt={4}>
              {t('portal.toNextTier', { needed: formatNumber(progress.needed ?? 0), tier: progress.nextTier })}
            </Text>
          </>
        )}
      </Card>
    </SimpleGrid>
  );
}

function Rewards({ slug, client }: { slug: string; client: ApiClient }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const rewards = useQuery({ queryKey: ['rewards'], queryFn: async () => unwrap(await client.GET('/v1/portal/{slug}/rewards', { params: { path: { slug } } })) });
  const redeem = useMutation({
    mutationFn: async (rewardId: string) =>
      unwrap(
        await client.POST('/v1/portal/{slug}/redemptions', {
          params: { path: { slug } },
          body: { rewardId },
          // A double click or a retry after a dropped connection must not spend the points twice.
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['me'] }),
  });
  const coupon = redeem.data?.coupon;
  return (
    <Card withBorder component="section" aria-labelledby="rewards-title">
      <Title order={2} size="h4" id="rewards-title" mb="sm">
        {t('portal.rewards')}
      </Title>
      <ProblemAlert error={rewards.error ?? redeem.error} />
      {coupon && (
        <Alert color="teal" title={t('portal.redeemed')} mb="sm" role="status">
          <Group>
            <Code fz="lg">{coupon.code}</Code>
            <CopyButton value={coupon.code}>{({ copied, copy }) => <Button size="xs" onClick={copy}>{copied ? t('common.copied') : t('common.copy')}</Button>}</CopyButton>
          </Group>
          {coupon.expiresAt && <Text size="sm">{t('portal.couponValidUntil', { date: formatDate(coupon.expiresAt) })}</Text>}
        </Alert>
      )}
      {rewards.data?.data.length === 0 && <Text>{t('portal.noRewards')}</Text>}
      <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }}>
        {rewards.data?.data.map((reward) => (
          <Card key={reward.id} withBorder padding="sm">
            {reward.imageUrl && (
              // Full card width at a fixed ratio: one column on a phone, up to three on a wide screen.
              <Card.Section mb="sm">
                <AspectRatio ratio={4 / 3}>
                  <Image src={reward.imageUrl} alt={localized(reward.name)} fit="cover" loading="lazy" />
                </AspectRatio>
              </Card.Section>
            )}
            <Text fw={600}>{localized(reward.name)}</Text>
            {reward.description && (
              <Text size="sm" c="dimmed">
                {localized(reward.description)}
              </Text>
            )}
            <Group justify="space-between" mt="sm">
              <Badge variant="light">{t('portal.cost', { points: formatNumber(reward.pointsCost) })}</Badge>
              <Button size="xs" disabled={!reward.affordable} loading={redeem.isPending && redeem.variables === reward.id} onClick={() => redeem.mutate(reward.id)} aria-label={t('portal.redeemNamed', { name: localized(reward.name) })}>
                {t('portal.redeem')}
              </Button>
            </Group>
          </Card>
        ))}
      </SimpleGrid>
    </Card>
  );
}

function Referrals({ slug, client }: { slug: string; client: ApiClient }) {
  const { t } = useTranslation();
  const referrals = useQuery({ queryKey: ['referrals'], queryFn: async () => unwrap(await client.GET('/v1/portal/{slug}/referrals', { params: { path: { slug } } })) });
  const data = referrals.data;
  if (!data || !data.enabled) return <ProblemAlert error={referrals.error} />;
  return (
    <Card withBorder component="section" aria-labelledby="referrals-title">
      <Title order={2} size="h4" id="referrals-title" mb="sm">
        {t('portal.referrals')}
      </Title>
      {data.share && (
        <Stack gap="xs">
          <Text size="sm">{t('portal.shareIntro')}</Text>
          <Group wrap="nowrap">
            <Code style={{ overflowWrap: 'anywhere' }}>{data.share.link}</Code>
            <CopyButton value={data.share.link}>{({ copied, copy }) => <Button size="xs" onClick={copy}>{copied ? t('common.copied') : t('common.copy')}</Button>}</CopyButton>
          </Group>
          <Group gap="xs">
            {(['email', 'whatsapp', 'x', 'facebook'] as const).map((channel) => (
              <Button key={channel} component="a" href={data.share!.urls[channel]} target="_blank" rel="noopener noreferrer" size="xs" variant="light">
                {t(`portal.share.${channel}`)}
              </Button>
            ))}
          </Group>
        </Stack>
      )}
      <Text size="sm" mt="sm">
        {t('portal.referralPoints', { points: formatNumber(data.pointsEarned) })}
      </Text>
      {data.friends.length > 0 && (
        <Table mt="xs">
          <Table.Tbody>
            {data.friends.map((friend) => (
              <Table.Tr key={friend.referralId}>
                <Table.Td>{friend.friend}</Table.Td>
                <Table.Td>{t(`referralStatuses.${friend.status}`, { defaultValue: friend.status })}</Table.Td>
                <Table.Td>{formatDate(friend.signedUpAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}

type LedgerEntry = { transactionId: string; kind: string; points: number; createdAt: string };

/**
 * The ledger books one transaction as several lines (one per lot, the tier bonus apart, pending and available
 * accounts); a member thinks in movements: one line per transaction with its total. Its internal reason (rule
 * and event ids) is for the team, not for the member.
 */
function movements(entries: LedgerEntry[]): LedgerEntry[] {
  const byTransaction = new Map<string, LedgerEntry>();
  for (const entry of entries) {
    // A release moves points from pending to available (two lines that cancel out): what the member gained is
    // the points they can now spend.
    const points = entry.kind === 'release' ? Math.max(entry.points, 0) : entry.points;
    const seen = byTransaction.get(entry.transactionId);
    if (seen) seen.points += points;
    else byTransaction.set(entry.transactionId, { transactionId: entry.transactionId, kind: entry.kind, points, createdAt: entry.createdAt });
  }
  return [...byTransaction.values()];
}

function History({ slug, client }: { slug: string; client: ApiClient }) {
  const { t } = useTranslation();
  const [cursor, setCursor] = useState<string | undefined>();
  const history = useQuery({
    queryKey: ['history', cursor],
    queryFn: async () => unwrap(await client.GET('/v1/portal/{slug}/history', { params: { path: { slug }, query: cursor ? { cursor } : {} } })),
  });
  return (
    <Card withBorder component="section" aria-labelledby="history-title">
      <Title order={2} size="h4" id="history-title" mb="sm">
        {t('portal.history')}
      </Title>
      <ProblemAlert error={history.error} />
      <Table>
        <Table.Tbody>
          {movements(history.data?.data ?? []).map((movement) => (
            <Table.Tr key={movement.transactionId}>
              <Table.Td>
                <Text size="sm">{t(`ledgerKinds.${movement.kind}`, { defaultValue: movement.kind })}</Text>
                <Text size="xs" c="dimmed">
                  {formatDateTime(movement.createdAt)}
                </Text>
              </Table.Td>
              <Table.Td ta="right" c={movement.points < 0 ? 'red.8' : undefined} style={{ whiteSpace: 'nowrap' }}>
                {movement.points > 0 ? '+' : ''}
                {formatNumber(movement.points)}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {history.data?.nextCursor && (
        <Anchor component="button" type="button" onClick={() => setCursor(history.data?.nextCursor ?? undefined)}>
          {t('common.next')}
        </Anchor>
      )}
    </Card>
  );
}

/** The purposes a member can consent to, in the order the page shows them (the server's consents schema). */
const consentPurposes = ['marketingEmail', 'marketingSms', 'personalisedOffers'] as const;
type ConsentChoices = Record<(typeof consentPurposes)[number], boolean>;

function Privacy({ slug, client, me, onDeleted }: { slug: string; client: ApiClient; me: PortalMe | undefined; onDeleted(): void }) {
  const { t } = useTranslation();
  const [deleting, setDeleting] = useState(false);
  const queryClient = useQueryClient();
  const consents = useQuery({ queryKey: ['consents'], queryFn: async () => unwrap(await client.GET('/v1/portal/{slug}/consents', { params: { path: { slug } } })) });
  const update = useMutation({
    mutationFn: async (next: ConsentChoices) => unwrap(await client.PUT('/v1/portal/{slug}/consents', { params: { path: { slug } }, body: next })),
    onSuccess: (data) => queryClient.setQueryData(['consents'], data),
  });
  const download = useMutation({
    mutationFn: async () => {
      const data = unwrap(await client.GET('/v1/portal/{slug}/export', { params: { path: { slug } } }));
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `my-data-${slug}.json`;
      link.click();
      URL.revokeObjectURL(url);
    },
  });
  return (
    <Card withBorder component="section" aria-labelledby="privacy-title">
      <Title order={2} size="h4" id="privacy-title" mb="sm">
        {t('portal.privacy')}
      </Title>
      <ProblemAlert error={consents.error ?? update.error ?? download.error} />
      <Stack gap="xs">
        {consents.data &&
          consentPurposes.map((purpose) => (
            <Switch
              key={purpose}
              label={t(`portal.consents.${purpose}`)}
              checked={consents.data[purpose]}
              disabled={update.isPending}
              onChange={(e) => {
                const data = consents.data;
                update.mutate({ marketingEmail: data.marketingEmail, marketingSms: data.marketingSms, personalisedOffers: data.personalisedOffers, [purpose]: e.currentTarget.checked });
              }}
            />
          ))}
        <Group>
          <Button variant="default" loading={download.isPending} onClick={() => download.mutate()}>
            {t('portal.download')}
          </Button>
          {me && (
            <Button variant="outline" color="red" onClick={() => setDeleting(true)}>
              {t('portal.delete.open')}
            </Button>
          )}
        </Group>
      </Stack>
      {me && (
        <Modal opened={deleting} onClose={() => setDeleting(false)} title={t('portal.delete.title')}>
          {/* Inside the modal, so closing it unticks "I understand": every attempt is confirmed afresh. */}
          <DeleteMyData
            slug={slug}
            client={client}
            points={me.balance.available + me.balance.pending}
            download={{ busy: download.isPending, error: download.error, start: () => download.mutate() }}
            onCancel={() => setDeleting(false)}
            onDeleted={onDeleted}
          />
        </Modal>
      )}
    </Card>
  );
}

/**
 * "Delete my data" erases the member (POST /v1/portal/{slug}/erase) for good: the same erasure as the team's, at
 * the member's own request. The dialog says what that costs them in their words, offers the download first, and
 * sends nothing until they tick that they understand.
 */
function DeleteMyData(props: {
  slug: string;
  client: ApiClient;
  points: number;
  download: { busy: boolean; error: unknown; start(): void };
  onCancel(): void;
  onDeleted(): void;
}) {
  const { t } = useTranslation();
  const [understood, setUnderstood] = useState(false);
  const erase = useMutation({
    mutationFn: async () => unwrap(await props.client.POST('/v1/portal/{slug}/erase', { params: { path: { slug: props.slug } }, body: { confirm: true } })),
    onSuccess: () => props.onDeleted(),
  });
  return (
    <Stack>
      <List spacing="xs">
        <List.Item>{t('portal.delete.personalData')}</List.Item>
        <List.Item>{t('portal.delete.points', { count: props.points, formatted: formatNumber(props.points) })}</List.Item>
        <List.Item>{t('portal.delete.history')}</List.Item>
        <List.Item>{t('portal.delete.shop')}</List.Item>
      </List>
      <Group justify="space-between" wrap="nowrap">
        <Text size="sm">{t('portal.delete.downloadFirst')}</Text>
        <Button size="xs" variant="default" loading={props.download.busy} onClick={props.download.start}>
          {t('portal.download')}
        </Button>
      </Group>
      <ProblemAlert error={erase.error ?? props.download.error} />
      <Checkbox label={t('portal.delete.understand')} checked={understood} onChange={(e) => setUnderstood(e.currentTarget.checked)} data-autofocus />
      <Group justify="end">
        <Button variant="default" onClick={props.onCancel}>
          {t('portal.delete.keep')}
        </Button>
        <Button color="red" disabled={!understood} loading={erase.isPending} onClick={() => erase.mutate()}>
          {t('portal.delete.confirm')}
        </Button>
      </Group>
    </Stack>
  );
}
