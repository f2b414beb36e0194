import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium, headless, through playwright-core: the dashboard tests' one way to launch it and to
 * sign in with a token (shared by the viewer, audit and SSO dashboard tests).
 */

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh persistent profile in a temp directory (no cookies or storage from another test file). */
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

/** The token sign-in, ending on the Integrations page. */
export async function signInWithToken(p: Page, serverUrl: string, token: string): Promise<void> {
  await p.goto(serverUrl + '/');
  await p.getByLabel('API token').fill(token);
  await p.getByRole('button', { name: 'Sign in', exact: true }).click();
  await p.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
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
