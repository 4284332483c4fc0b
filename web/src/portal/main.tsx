import '@mantine/core/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import '../i18n';
import { cssVariablesResolver, theme } from '../shared/theme';
import { ProblemError } from '../api/problem';
import { PortalApp } from './PortalApp';
import { slugOf, takeToken } from './token';

// Read before React renders so the token leaves the address bar as early as possible.
const token = takeToken();
const slug = slugOf(window.location.pathname) ?? '';

if (new URLSearchParams(window.location.search).get('embed') === '1') {
  // In the widget's iframe: report our height to the parent page so it resizes the frame (no scrollbars).
  void import('@open-iframe-resizer/core').then(({ initializeChildListener }) => initializeChildListener());
  document.documentElement.dataset.embed = '1';
}

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: (count, error) => count < 2 && !(error instanceof ProblemError && error.problem.status < 500) } },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
      <QueryClientProvider client={queryClient}>
        <PortalApp slug={slug} token={token} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
