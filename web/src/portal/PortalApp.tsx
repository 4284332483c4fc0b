/**
 * What a member sees of their loyalty account, on the shop's site (widget) or on its own page. Every call
 * goes to /v1/portal/{slug}/… with the member's token; the portal never holds an admin session.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Anchor, AspectRatio, Badge, Button, Card, Code, Container, CopyButton, Group, Image, Progress, SimpleGrid, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { createPortalClient, unwrap, type ApiClient } from '../api/client';
import type { PortalMe } from '../api/types';
import { ProblemError } from '../api/problem';
import { languageOf, setLanguage } from '../i18n';
import { LanguageSwitch } from '../shared/LanguageSwitch';
import { ProblemAlert } from '../shared/ProblemAlert';
import { formatDate, formatDateTime, formatNumber, localized } from '../shared/format';

interface Props {
  slug: string;
  token: string | null;
  client?: ApiClient;
}

export function PortalApp({ slug, token, client: given }: Props) {
  const { t } = useTranslation();
  const client = useMemo(() => given ?? (token ? createPortalClient(token) : null), [given, token]);
  if (!client) {
    return (
      <Container size="sm" py="md">
        <Alert color="yellow" title={t('portal.signInTitle')}>
          {t('portal.signIn')}
        </Alert>
      </Container>
    );
  }
  return <Portal slug={slug} client={client} />;
}

function Portal({ slug, client }: { slug: string; client: ApiClient }) {
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
        <Privacy slug={slug} client={client} />
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
          <Text size="sm" c="orange.8" key={lot.expiresAt}>
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

function Privacy({ slug, client }: { slug: string; client: ApiClient }) {
  const { t } = useTranslation();
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
        </Group>
      </Stack>
    </Card>
  );
}
