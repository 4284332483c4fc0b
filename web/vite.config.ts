/**
 * One Vite build for both browser apps. The admin dashboard and the member portal are separate pages so a
 * member never downloads the dashboard; `trouw serve` (src/http/plugins/web.ts) serves dist/web and maps
 * /admin/* and /p/{slug} to the two index.html files.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const webDir = fileURLToPath(new URL('.', import.meta.url));
const repoDir = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: webDir,
  base: '/',
  plugins: [react()],
  build: {
    outDir: `${repoDir}dist/web`,
    emptyOutDir: true,
    rollupOptions: {
      input: {
        admin: `${webDir}admin/index.html`,
        portal: `${webDir}portal/index.html`,
      },
    },
  },
  server: {
    // In development the API runs on `npm run dev` (port 3000); the Vite server proxies to it so the
    // session cookie stays first-party.
    proxy: { '/v1': 'http://localhost:3000' },
  },
});
