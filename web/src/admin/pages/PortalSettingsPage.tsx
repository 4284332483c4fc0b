/**
 * The member portal's settings (owners): where it lives (`/p/{slug}`), what a member token must carry (issuer,
 * audience), and the HS256 secrets the shop signs those tokens with. A secret is shown once, when it is made;
 * the list shows only kids. The sample is filled in with this programme's real values, so it can be copied.
 */
import { useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Card, Code, CopyButton, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { fieldError, ProblemAlert } from '../../shared/ProblemAlert';
import { formatDate } from '../../shared/format';

type Settings = paths['/v1/portal/settings']['get']['responses'][200]['content']['application/json'];

function CopyValue({ value }: { value: string }) {
  const { t } = useTranslation();
  return (
    <CopyButton value={value}>
      {({ copied, copy }) => (
        <Button size="xs" variant="light" onClick={copy}>
          {copied ? t('common.copied') : t('common.copy')}
        </Button>
      )}
    </CopyButton>
  );
}

/** How the shop's backend signs a member in: Node with `jose`, as the portal verifies it. */
export function signingSample({ issuer, audience, kid, portalUrl }: { issuer: string; audience: string; kid: string; portalUrl: string }): string {
  return `import { SignJWT } from 'jose';

// The secret shown once when kid "${kid}" was made; keep it on the server, never in the browser.
const secret = new TextEncoder().encode(process.env.TROUW_PORTAL_SECRET);

const token = await new SignJWT({})
  .setProtectedHeader({ alg: 'HS256', kid: '${kid}' })
  .setIssuer('${issuer}')
  .setAudience('${audience}')
  .setSubject(customer.id) // the member's externalId in Trouw
  .setIssuedAt()
  .setExpirationTime('15m') // at most an hour
  .sign(secret);

// Send the signed-in customer to their portal:
const url = \`${portalUrl}#token=\${token}\`;`;
}

function SettingsForm({ settings }: { settings: Settings }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [slug, setSlug] = useState(settings.slug);
  const [issuer, setIssuer] = useState(settings.issuer);
  const [audience, setAudience] = useState(settings.audience);
  const save = useMutation({
    mutationFn: async () => unwrap(await api().PATCH('/v1/portal/settings', { body: { slug: slug.trim(), issuer: issuer.trim(), audience: audience.trim() } })),
    onSuccess: (saved) => queryClient.setQueryData(['portal-settings'], saved),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const fieldErrors = ['/slug', '/issuer', '/audience'].some((pointer) => fieldError(save.error, pointer));
  return (
    <form onSubmit={submit}>
      <Stack maw={520}>
        {!fieldErrors && <ProblemAlert error={save.error} />}
        {save.isSuccess && !save.isPending && (
          <Alert color="teal" role="status">
            {t('portalSettings.saved')}
          </Alert>
        )}
        <TextInput label={t('portalSettings.slug')} description={t('portalSettings.slugHint')} required value={slug} onChange={(e) => setSlug(e.currentTarget.value)} error={fieldError(save.error, '/slug')} />
        <TextInput label={t('portalSettings.issuer')} description={t('portalSettings.issuerHint')} required value={issuer} onChange={(e) => setIssuer(e.currentTarget.value)} error={fieldError(save.error, '/issuer')} />
        <TextInput label={t('portalSettings.audience')} description={t('portalSettings.audienceHint')} required value={audience} onChange={(e) => setAudience(e.currentTarget.value)} error={fieldError(save.error, '/audience')} />
        <Group>
          <Button type="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function PortalSettingsPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const settings = useQuery({ queryKey: ['portal-settings'], queryFn: async () => unwrap(await api().GET('/v1/portal/settings')) });
  const keys = useQuery({ queryKey: ['portal-keys'], queryFn: async () => unwrap(await api().GET('/v1/portal/keys')) });
  const create = useMutation({
    mutationFn: async () => unwrap(await api().POST('/v1/portal/keys')),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['portal-keys'] }),
  });
  const revoke = useMutation({
    mutationFn: async (kid: string) => unwrap(await api().DELETE('/v1/portal/keys/{kid}', { params: { path: { kid } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['portal-keys'] }),
  });

  const live = (keys.data?.data ?? []).filter((key) => !key.revokedAt);
  // The sample names the key the shop should be using: the one just made, else the newest still valid.
  const sampleKid = create.data?.kid ?? [...live].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]?.kid;
  const portalUrl = settings.data ? `${window.location.origin}/p/${settings.data.slug}` : '';

  return (
    <Stack>
      <Title order={2}>{t('portalSettings.title')}</Title>
      <ProblemAlert error={settings.error ?? keys.error ?? revoke.error} />
      {settings.data && (
        <>
          <Group gap="xs">
            <Text size="sm">{t('portalSettings.address')}</Text>
            <Code>{portalUrl}</Code>
            <CopyValue value={portalUrl} />
          </Group>
          {/* Keyed by the saved values so the form starts again from what the server holds. */}
          <SettingsForm key={JSON.stringify(settings.data)} settings={settings.data} />
        </>
      )}

      <Title order={3} size="h4" mt="md">
        {t('portalSettings.keys')}
      </Title>
      <Text size="sm" c="dimmed">
        {t('portalSettings.keysHint')}
      </Text>
      <ProblemAlert error={create.error} />
      {create.data && (
        <Alert color="yellow" title={t('portalSettings.created', { kid: create.data.kid })}>
          {t('portalSettings.shownOnce')}
          <Group mt="xs" wrap="nowrap">
            <Code style={{ wordBreak: 'break-all' }}>{create.data.secret}</Code>
            <CopyValue value={create.data.secret} />
          </Group>
        </Alert>
      )}
      <Table.ScrollContainer minWidth={500}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('portalSettings.kid')}</Table.Th>
              <Table.Th>{t('portalSettings.createdAt')}</Table.Th>
              <Table.Th>{t('portalSettings.status')}</Table.Th>
              <Table.Th>{t('common.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {keys.data?.data.map((key) => (
              <Table.Tr key={key.kid}>
                <Table.Td>
                  <Code>{key.kid}</Code>
                </Table.Td>
                <Table.Td>{formatDate(key.createdAt)}</Table.Td>
                <Table.Td>
                  {key.revokedAt ? (
                    <Badge color="gray">{t('portalSettings.revokedOn', { date: formatDate(key.revokedAt) })}</Badge>
                  ) : (
                    <Badge color="teal">{t('portalSettings.active')}</Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  {!key.revokedAt && (
                    <Button
                      size="xs"
                      color="red"
                      variant="outline"
                      loading={revoke.isPending && revoke.variables === key.kid}
                      onClick={() => revoke.mutate(key.kid)}
                      aria-label={t('portalSettings.revokeNamed', { kid: key.kid })}
                    >
                      {t('portalSettings.revoke')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {keys.isSuccess && keys.data.data.length === 0 && <Text c="dimmed">{t('portalSettings.noKeys')}</Text>}
      <Group>
        <Button onClick={() => create.mutate()} loading={create.isPending}>
          {t('portalSettings.create')}
        </Button>
      </Group>

      {settings.data && (
        <Card withBorder>
          <Group justify="space-between" mb="xs">
            <Title order={3} size="h4">
              {t('portalSettings.sampleTitle')}
            </Title>
            {sampleKid && <CopyValue value={signingSample({ ...settings.data, kid: sampleKid, portalUrl })} />}
          </Group>
          <Text size="sm" c="dimmed" mb="xs">
            {sampleKid ? t('portalSettings.sampleHint') : t('portalSettings.sampleNeedsKey')}
          </Text>
          <Code block>{signingSample({ ...settings.data, kid: sampleKid ?? '…', portalUrl })}</Code>
        </Card>
      )}
    </Stack>
  );
}
