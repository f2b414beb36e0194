import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven through playwright-core, headless, in a throw-away profile: the browser the
 * dashboard tests use. `close()` closes it and removes the profile.
 */
export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(name: string): Promise<Browser> {
  const dir = await mkdtemp(join(tmpdir(), `imagetrail-chromium-${name}-`));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    viewport: { width: 1280, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Signs in with a token through the sign-in page, as a person would, and waits for the first page. */
export async function signIn(page: Page, serverUrl: string, token: string): Promise<void> {
  await page.goto(serverUrl + '/');
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
}

/** Buttons and links whose names say they change something (add, edit, delete, test, save, sync, token). */
const MUTATION = /\b(add|edit|delete|remove|test|save|sync|tokens?|create|new)\b/i;

/** The names of the controls in `main` that would change something: none for a viewer. */
export async function mutationControls(page: Page): Promise<string[]> {
  const names = await page
    .locator('main')
    .locator('button, a, input[type=submit]')
    .evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
  return names.filter((n) => MUTATION.test(n));
}
