import { useState, type FormEvent } from 'react';
import { Alert, Button, Card, Group, NumberInput, SimpleGrid, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { EraseMemberDialog, type EraseOutcome } from '../EraseMemberDialog';
import { MemberStatusBadge } from '../MemberStatusBadge';
import { mayWriteMembers, useSession } from '../session';
import { fieldError, ProblemAlert } from '../../shared/ProblemAlert';
import { focusSoon } from '../../shared/focus';
import { formatDate, formatDateTime, formatNumber, localized } from '../../shared/format';

function useMemberQuery<T>(memberId: string, part: string, load: () => Promise<T>) {
  return useQuery({ queryKey: ['member', memberId, part], queryFn: load });
}

function AdjustPoints({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [points, setPoints] = useState<number | string>('');
  const [reason, setReason] = useState('');
  const adjust = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().POST('/v1/members/{id}/adjustments', {
          params: { path: { id: memberId }, header: { 'idempotency-key': crypto.randomUUID() } },
          body: { points: Number(points), reason },
        }),
      ),
    onSuccess: () => {
      setPoints('');
      setReason('');
      notifications.show({ message: t('member.adjusted') });
      void queryClient.invalidateQueries({ queryKey: ['member', memberId] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    adjust.mutate();
  };
  return (
    <Card withBorder component="form" onSubmit={submit}>
      <Title order={3} size="h4" mb="sm">
        {t('member.adjust')}
      </Title>
      <Stack>
        <ProblemAlert error={adjust.error} />
        <NumberInput label={t('member.adjustPoints')} description={t('member.adjustPointsHint')} required allowDecimal={false} value={points} onChange={setPoints} error={fieldError(adjust.error, '/points')} />
        <TextInput label={t('member.reason')} required value={reason} onChange={(e) => setReason(e.currentTarget.value)} error={fieldError(adjust.error, '/reason')} />
        <Button type="submit" loading={adjust.isPending} disabled={points === '' || Number(points) === 0 || !reason.trim()}>
          {t('member.adjustSubmit')}
        </Button>
      </Stack>
    </Card>
  );
}

export function MemberPage() {
  const { t } = useTranslation();
  const memberId = useParams().memberId!;
  const queryClient = useQueryClient();
  const path = { params: { path: { id: memberId } } };
  const member = useMemberQuery(memberId, 'profile', async () => unwrap(await api().GET('/v1/members/{id}', path)));
  const balance = useMemberQuery(memberId, 'balance', async () => unwrap(await api().GET('/v1/members/{id}/balance', path)));
  const ledger = useMemberQuery(memberId, 'ledger', async () => unwrap(await api().GET('/v1/members/{id}/ledger', { params: { path: { id: memberId }, query: { limit: 100 } } })));
  const tiers = useMemberQuery(memberId, 'tiers', async () => unwrap(await api().GET('/v1/members/{id}/tier-history', path)));
  const redemptions = useMemberQuery(memberId, 'redemptions', async () => unwrap(await api().GET('/v1/members/{id}/redemptions', path)));
  const referrals = useMemberQuery(memberId, 'referrals', async () => unwrap(await api().GET('/v1/members/{id}/referrals', path)));

  const setStatus = useMutation({
    mutationFn: async (status: 'active' | 'blocked') => unwrap(await api().PATCH('/v1/members/{id}', { ...path, body: { status } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['member', memberId] }),
  });
  const { role } = useSession();
  const [erasing, setErasing] = useState(false);
  const [forfeited, setForfeited] = useState<number | null>(null);
  const erased = (outcome: EraseOutcome) => {
    setErasing(false);
    setForfeited(outcome.pointsForfeited);
    queryClient.setQueryData(['member', memberId, 'profile'], outcome.member);
    // The balance is now zero and the ledger has the forfeiture; the list shows the new status.
    void queryClient.invalidateQueries({ queryKey: ['member', memberId] });
    void queryClient.invalidateQueries({ queryKey: ['members'] });
    // The button that opened the dialog is gone: start keyboard users at the news instead of the page's top.
    focusSoon('member-erased');
  };

  const profile = member.data;
  // An erased member cannot be changed (409 member_erased): the page offers nothing that would only fail.
  const isErased = profile?.status === 'erased';
  return (
    <Stack>
      <ProblemAlert error={member.error} />
      {profile && (
        <>
          <Group justify="space-between">
            <Title order={2}>{isErased ? t('member.erased.title') : (profile.name ?? profile.externalId)}</Title>
            <Group>
              <MemberStatusBadge status={profile.status} />
              {!isErased && mayWriteMembers(role) && (
                <Button
                  variant="default"
                  color={profile.status === 'active' ? 'red' : 'teal'}
                  loading={setStatus.isPending}
                  onClick={() => setStatus.mutate(profile.status === 'active' ? 'blocked' : 'active')}
                >
                  {profile.status === 'active' ? t('member.block') : t('member.unblock')}
                </Button>
              )}
              {!isErased && mayWriteMembers(role) && (
                <Button color="red" variant="outline" onClick={() => setErasing(true)}>
                  {t('member.erase.open')}
                </Button>
              )}
            </Group>
          </Group>
          <ProblemAlert error={setStatus.error} />
          {!isErased && <EraseMemberDialog member={profile} opened={erasing} onClose={() => setErasing(false)} onErased={erased} />}
          {isErased && (
            <Alert id="member-erased" tabIndex={-1} color="gray" title={t('member.erased.alertTitle')}>
              <Text size="sm">{t('member.erased.detail', { date: formatDateTime(profile.updatedAt), id: profile.id })}</Text>
              {forfeited !== null && <Text size="sm">{t('member.erased.forfeited', { count: forfeited, formatted: formatNumber(forfeited) })}</Text>}
            </Alert>
          )}
          <SimpleGrid cols={{ base: 1, md: 3 }}>
            <Card withBorder>
              <Title order={3} size="h4" mb="xs">
                {t('member.profile')}
              </Title>
              {isErased ? (
                // Nothing personal is left; the bare id is what the ledger and the business's records still use.
                <Text size="sm">{t('member.id')}: {profile.id}</Text>
              ) : (
                <>
                  <Text size="sm">{t('members.externalId')}: {profile.externalId}</Text>
                  <Text size="sm">{t('members.email')}: {profile.email ?? '–'}</Text>
                  <Text size="sm">{t('member.phone')}: {profile.phone ?? '–'}</Text>
                  <Text size="sm">{t('member.locale')}: {profile.locale ?? '–'}</Text>
                </>
              )}
              <Text size="sm">{t('members.tier')}: {profile.tier ?? '–'}</Text>
              {!isErased && <Text size="sm">{t('member.referralCode')}: {profile.referralCode ?? '–'}</Text>}
              <Text size="sm">{t('members.since')}: {formatDate(profile.createdAt)}</Text>
            </Card>
            <Card withBorder>
              <Title order={3} size="h4" mb="xs">
                {t('member.balance')}
              </Title>
              {balance.data && (
                <>
                  <Text>{t('member.available', { points: formatNumber(balance.data.available) })}</Text>
                  <Text>{t('member.pending', { points: formatNumber(balance.data.pending) })}</Text>
                  <Text size="sm" c="dimmed">
                    {t('member.lifetime', { points: formatNumber(balance.data.lifetimeEarned) })}
                  </Text>
                  {balance.data.expiring.map((lot) => (
                    <Text size="sm" key={lot.expiresAt}>
                      {t('member.expiring', { points: formatNumber(lot.points), date: formatDate(lot.expiresAt) })}
                    </Text>
                  ))}
                </>
              )}
            </Card>
            {!isErased && mayWriteMembers(role) && <AdjustPoints memberId={memberId} />}
          </SimpleGrid>
          <Tabs defaultValue="ledger">
            <Tabs.List>
              <Tabs.Tab value="ledger">{t('member.ledger')}</Tabs.Tab>
              <Tabs.Tab value="tiers">{t('member.tierHistory')}</Tabs.Tab>
              <Tabs.Tab value="redemptions">{t('member.redemptions')}</Tabs.Tab>
              <Tabs.Tab value="referrals">{t('member.referrals')}</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="ledger" pt="sm">
              <Table.ScrollContainer minWidth={600}>
                <Table striped>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('member.when')}</Table.Th>
                      <Table.Th>{t('member.kind')}</Table.Th>
                      <Table.Th>{t('member.account')}</Table.Th>
                      <Table.Th>{t('member.points')}</Table.Th>
                      <Table.Th>{t('member.reason')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {ledger.data?.data.map((entry, index) => (
                      <Table.Tr key={`${entry.transactionId}-${index}`}>
                        <Table.Td>{formatDateTime(entry.createdAt)}</Table.Td>
                        <Table.Td>{t(`ledgerKinds.${entry.kind}`)}</Table.Td>
                        <Table.Td>{t(`accounts.${entry.account}`)}</Table.Td>
                        <Table.Td>{formatNumber(entry.points)}</Table.Td>
                        <Table.Td>{entry.reason ?? (entry.ruleId ? t('member.byRule', { rule: entry.ruleId }) : '–')}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Tabs.Panel>
            <Tabs.Panel value="tiers" pt="sm">
              <Table>
                <Table.Tbody>
                  {tiers.data?.data.map((change) => (
                    <Table.Tr key={change.id}>
                      <Table.Td>{formatDateTime(change.createdAt)}</Table.Td>
                      <Table.Td>
                        {change.previousTier ?? '–'} → {change.tier ?? '–'}
                      </Table.Td>
                      <Table.Td>{change.reason}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Tabs.Panel>
            <Tabs.Panel value="redemptions" pt="sm">
              <Table>
                <Table.Tbody>
                  {redemptions.data?.data.map((redemption) => (
                    <Table.Tr key={redemption.id}>
                      <Table.Td>{formatDateTime(redemption.createdAt)}</Table.Td>
                      <Table.Td>{localized(redemption.reward.name)}</Table.Td>
                      <Table.Td>{formatNumber(redemption.points)}</Table.Td>
                      <Table.Td>{redemption.status}</Table.Td>
                      <Table.Td>{redemption.coupon?.code ?? '–'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Tabs.Panel>
            <Tabs.Panel value="referrals" pt="sm">
              <ProblemAlert error={referrals.error} />
              {referrals.data && (
                <Stack gap="xs">
                  <Text size="sm">
                    {t('member.referralCode')}: {referrals.data.code} · {t('member.referralPoints', { points: formatNumber(referrals.data.pointsEarned) })}
                  </Text>
                  <Table>
                    <Table.Tbody>
                      {referrals.data.friends.map((friend) => (
                        <Table.Tr key={friend.referralId}>
                          <Table.Td>{friend.friend}</Table.Td>
                          <Table.Td>{t(`referralStatuses.${friend.status}`)}</Table.Td>
                          <Table.Td>{formatDate(friend.signedUpAt)}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Stack>
              )}
            </Tabs.Panel>
          </Tabs>
        </>
      )}
    </Stack>
  );
}
