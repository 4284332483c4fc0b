/**
 * The e2e project's global setup: the browser suite runs against the built apps in dist/web (what `trouw serve`
 * serves), so a fresh clone, or a change under web/, gets one `vite build` before the first test file.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const built = path.resolve('dist/web/admin/index.html');

function newestChange(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
  const sources = Math.max(newestChange(path.resolve('web/src')), ...['web/vite.config.ts', 'web/admin/index.html', 'web/portal/index.html'].map((file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0)));
  if (builtAt >= sources) return;
  console.log('e2e: building the browser apps (vite build --config web/vite.config.ts)…');
  execFileSync(process.execPath, [path.resolve('node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
}
