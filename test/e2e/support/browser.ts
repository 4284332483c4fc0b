/**
 * Chromium for the browser tests: Debian's package (/usr/bin/chromium, installed by .ci/run with apt-get)
 * driven by playwright-core, which never downloads a browser of its own. Without it the suite is skipped
 * locally with a message, and fails in CI (TROUW_E2E_REQUIRED=1) rather than pass without having run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));

export function chromiumPath(): string | null {
  const found = candidates.find((p) => fs.existsSync(p)) ?? null;
  if (!found && process.env.TROUW_E2E_REQUIRED === '1') throw new Error(`TROUW_E2E_REQUIRED=1 but no Chromium at ${candidates.join(', ')}`);
  return found;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/**
 * Saves a screenshot of the page: into test-results/screenshots/ on every run, and into docs/screenshots/ (the
 * README's pictures, kept in git) only with TROUW_UPDATE_SCREENSHOTS=1, so a test run leaves the tree clean.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = process.env.TROUW_UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test-results/screenshots';
  const file = path.resolve(dir, `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
