import { describe, expect, it } from 'vitest';
import { context, page, reportOnlyToken, server, useDashboard } from './dashboard-fixture.js';

// Serving the dashboard, signing in (by mouse and by keyboard only). Setup: dashboard-fixture.ts.

useDashboard();

describe('serving the dashboard', () => {
  it('serves index.html for client routes with a CSP without inline scripts; hashed assets are immutable', async () => {
    const res = await fetch(server.url + '/integrations/some-name');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script element
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const a = await fetch(server.url + asset!);
    expect(a.status).toBe(200);
    expect(a.headers.get('cache-control')).toContain('immutable');
    // API paths are not the dashboard's: JSON errors as before.
    const apiMiss = await fetch(server.url + '/api/v1/nothing-here');
    expect(apiMiss.headers.get('content-type')).toContain('application/json');
  });
});

describe('sign-in', () => {
  it('says the token was refused (401), or lacks the scope (403), then signs in with the admin token', async () => {
    await page.goto(server.url + '/');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByLabel('API token').fill('not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/refused/i);
    expect(await alert.innerText()).toContain('401');

    await page.getByLabel('API token').fill(reportOnlyToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: '403' }).waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/admin scope/);

    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    // Kept in sessionStorage, never in the address.
    expect(page.url()).not.toContain(server.adminToken);
    expect(await page.evaluate(() => sessionStorage.getItem('imagetrail.token'))).toBe(server.adminToken);
  });

  it('says so when the server cannot be reached', async () => {
    const p = await context.newPage();
    try {
      await p.goto(server.url + '/');
      await p.route('**/api/v1/**', (route) => route.abort('connectionrefused'));
      await p.getByLabel('API token').fill(server.adminToken);
      await p.getByRole('button', { name: 'Sign in' }).click();
      const alert = p.getByRole('alert');
      await alert.waitFor();
      expect(await alert.innerText()).toMatch(/cannot reach/i);
    } finally {
      await p.close();
    }
  });
});

describe('keyboard only', () => {
  it('signs in and works the integration form with Tab, typing, Enter and Escape', async () => {
    const p = await context.newPage();
    try {
      await p.goto(server.url + '/');
      await p.evaluate(() => sessionStorage.clear());
      await p.reload();
      const focusedId = () => p.evaluate(() => document.activeElement?.id ?? '');
      const tabTo = async (id: string, max = 30) => {
        for (let i = 0; i < max; i++) {
          if ((await focusedId()) === id) return;
          await p.keyboard.press('Tab');
        }
        throw new Error(`Tab never reached #${id}; focus is on #${await focusedId()}`);
      };
      await tabTo('token');
      await p.keyboard.type(server.adminToken);
      await p.keyboard.press('Enter');
      await p.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();

      // To the form by keyboard: Tab to the "Add ECR integration" link and press Enter.
      for (let i = 0; i < 20; i++) {
        const text = await p.evaluate(() => document.activeElement?.textContent ?? '');
        if (text.includes('Add ECR integration')) break;
        await p.keyboard.press('Tab');
      }
      await p.keyboard.press('Enter');
      await p.getByRole('heading', { level: 1, name: 'Add an Amazon ECR integration' }).waitFor();
      await tabTo('name');
      await p.keyboard.type('kb-ecr');
      await p.keyboard.press('Tab'); // description
      await p.keyboard.press('Tab'); // region
      expect(await focusedId()).toBe('region');
      await p.keyboard.type('us-east-1');
      // Enter submits; the client checks the rules first and focuses the first field in error.
      await p.keyboard.press('Enter');
      await p.locator('#accessKeyId-error').waitFor();
      expect(await focusedId()).toBe('accessKeyId');
      expect(await p.locator('#accessKeyId').getAttribute('aria-invalid')).toBe('true');
      // Focus is visible (an outline is drawn on the focused control).
      const outline = await p.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline).not.toBe('none');
    } finally {
      await p.close();
    }
  });
});
