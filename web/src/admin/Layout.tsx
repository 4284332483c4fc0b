import { AppShell, Burger, Button, Group, NavLink, Select, Text, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { NavLink as RouterLink, Outlet, useLocation } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import type { Role } from '../api/types';
import { LanguageSwitch } from '../shared/LanguageSwitch';
import { useSession } from './session';

/** The pages and who sees them in the menu; the server enforces the same roles on every route regardless. */
const pages: { path: string; key: string; roles?: Role[] }[] = [
  { path: '/', key: 'overview' },
  { path: '/members', key: 'members', roles: ['owner', 'manager', 'support', 'analyst'] },
  { path: '/bulk-operations', key: 'bulkOperations' },
  { path: '/referrals', key: 'referrals', roles: ['owner', 'manager', 'support', 'analyst'] },
  { path: '/referral-program', key: 'referralProgram' },
  { path: '/earn-holds', key: 'earnHolds', roles: ['owner', 'manager', 'support', 'analyst'] },
  { path: '/rewards', key: 'rewards' },
  { path: '/rules', key: 'rules' },
  { path: '/tiers', key: 'tiers' },
  { path: '/webhooks', key: 'webhooks', roles: ['owner', 'manager', 'analyst'] },
  { path: '/team', key: 'team', roles: ['owner'] },
  { path: '/api-keys', key: 'apiKeys', roles: ['owner'] },
  { path: '/settings', key: 'settings', roles: ['owner', 'manager', 'analyst'] },
  { path: '/portal', key: 'portal', roles: ['owner'] },
  { path: '/audit-log', key: 'audit', roles: ['owner'] },
];

export function Layout() {
  const { t } = useTranslation();
  const { session, programId, role, selectProgram, logout } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.toggle')} />
            <Text fw={700}>{t('app.name')}</Text>
            <Select
              aria-label={t('nav.program')}
              size="xs"
              allowDeselect={false}
              value={programId}
              onChange={(value) => value && selectProgram(value)}
              data={(session?.programs ?? []).map((program) => ({ value: program.id, label: program.name }))}
            />
          </Group>
          <Group wrap="nowrap" visibleFrom="xs">
            <LanguageSwitch />
            <Text size="sm" c="dimmed">
              {session?.user.email}
              {role ? ` · ${t(`roles.${role}`)}` : ''}
            </Text>
            <Button variant="subtle" size="xs" onClick={() => void logout()}>
              {t('nav.logout')}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label={t('nav.main')}>
        {pages
          .filter((page) => !page.roles || (role && page.roles.includes(role)))
          .map((page) => (
            <NavLink
              key={page.path}
              component={RouterLink}
              to={page.path}
              end={page.path === '/'}
              label={t(`nav.${page.key}`)}
              active={page.path === '/' ? location.pathname === '/' : location.pathname.startsWith(page.path)}
              onClick={close}
            />
          ))}
        <Group hiddenFrom="xs" mt="md">
          <LanguageSwitch />
          <Button variant="subtle" size="xs" onClick={() => void logout()}>
            {t('nav.logout')}
          </Button>
        </Group>
      </AppShell.Navbar>
      <AppShell.Main>
        <VisuallyHidden component="h1">{t('app.name')}</VisuallyHidden>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
