import { lazy, Suspense } from 'react';
import { Center, Loader } from '@mantine/core';
import { Route, Routes } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { Layout } from './Layout';
import { useSession } from './session';
import { LoginPage } from './pages/LoginPage';
import { MembersPage } from './pages/MembersPage';
import { MemberPage } from './pages/MemberPage';
import { ReferralReviewPage } from './pages/ReferralReviewPage';
import { EarnHoldsPage } from './pages/EarnHoldsPage';
import { RewardsPage } from './pages/RewardsPage';
import { RulesPage } from './pages/RulesPage';
import { WebhooksPage } from './pages/WebhooksPage';
import { TeamPage } from './pages/TeamPage';
import { ApiKeysPage } from './pages/ApiKeysPage';
import { SettingsPage } from './pages/SettingsPage';
import { AuditLogPage } from './pages/AuditLogPage';
import { PortalSettingsPage } from './pages/PortalSettingsPage';
import { BulkOperationsPage } from './pages/BulkOperationsPage';

// The charts library is most of the dashboard's weight; only the overview needs it.
const OverviewPage = lazy(() => import('./pages/OverviewPage').then((module) => ({ default: module.OverviewPage })));
// The configuration forms (and @mantine/form with them) are opened now and then, by owners and managers.
const TiersPage = lazy(() => import('./pages/TiersPage').then((module) => ({ default: module.TiersPage })));
const ReferralProgramPage = lazy(() => import('./pages/ReferralProgramPage').then((module) => ({ default: module.ReferralProgramPage })));

export function App() {
  const { t } = useTranslation();
  const { status, programId } = useSession();
  if (status === 'loading') {
    return (
      <Center mih="100vh">
        <Loader aria-label={t('common.loading')} />
      </Center>
    );
  }
  if (status === 'signed-out') return <LoginPage />;
  return (
    <Routes>
      {/* Keyed by programme so every page remounts, and refetches, when the programme changes. */}
      <Route element={<Layout />} key={programId ?? 'none'}>
        <Route
          index
          element={
            <Suspense fallback={<Loader aria-label={t('common.loading')} />}>
              <OverviewPage />
            </Suspense>
          }
        />
        <Route path="members" element={<MembersPage />} />
        <Route path="members/:memberId" element={<MemberPage />} />
        <Route path="bulk-operations" element={<BulkOperationsPage />} />
        <Route path="referrals" element={<ReferralReviewPage />} />
        <Route
          path="referral-program"
          element={
            <Suspense fallback={<Loader aria-label={t('common.loading')} />}>
              <ReferralProgramPage />
            </Suspense>
          }
        />
        <Route path="earn-holds" element={<EarnHoldsPage />} />
        <Route path="rewards" element={<RewardsPage />} />
        <Route path="rules" element={<RulesPage />} />
        <Route
          path="tiers"
          element={
            <Suspense fallback={<Loader aria-label={t('common.loading')} />}>
              <TiersPage />
            </Suspense>
          }
        />
        <Route path="webhooks" element={<WebhooksPage />} />
        <Route path="team" element={<TeamPage />} />
        <Route path="api-keys" element={<ApiKeysPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="audit-log" element={<AuditLogPage />} />
        <Route path="portal" element={<PortalSettingsPage />} />
        <Route path="*" element={<p>{t('common.notFound')}</p>} />
      </Route>
    </Routes>
  );
}
