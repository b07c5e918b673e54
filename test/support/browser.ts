// Real Chromium (Debian's, driven by playwright-core) against the real product: the web app built once
// (shared by parallel test files), a browser with a fake microphone fed from a WAV file, screenshots saved
// as test artifacts, and accessibility checks: every control named, and axe-core's WCAG A/AA rules.
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.ts';
import { startTestProduct, type TestProduct } from './product.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS_DIR = path.resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
export const PHONE = { width: 390, height: 844 };

/**
 * The product with the built web app; the room page drives the test's Daily simulator unless `daily` (Prebuilt).
 * `livekit`: LiveKit runs beside Daily (its simulator, which the room page drives unless LIVEKIT_SIMULATOR_IN_BROWSER=false).
 */
export async function startWebProduct(
  name: string,
  options: { call?: 'simulator' | 'daily'; livekit?: boolean; hms?: boolean; whereby?: boolean; worker?: Parameters<typeof startTestProduct>[0]['worker']; env?: Record<string, string> } = {},
): Promise<TestProduct> {
  await buildWeb({ ifStale: true });
  return startTestProduct({ name, worker: options.worker, livekit: options.livekit, hms: options.hms, whereby: options.whereby, env: { DAILY_SIMULATOR_IN_BROWSER: options.call === 'daily' ? 'false' : 'true', ...options.env } });
}

export async function launchChromium(options: { microphoneWav?: string } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
      ...(options.microphoneWav
        ? ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${options.microphoneWav}`]
        : []),
    ],
  });
}

/** A fresh browser profile (its own cookies) on the product's origin; console errors are collected. */
export async function openPage(browser: Browser, baseURL: string, options: { viewport?: { width: number; height: number } } = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL, viewport: options.viewport ?? { width: 1280, height: 900 }, acceptDownloads: true });
  await context.grantPermissions(['microphone'], { origin: baseURL });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page, errors };
}

/** Saves a full-page screenshot under test-artifacts/screenshots/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Every visible input, select and textarea has an accessible name; every button and link has text. */
export async function assertAccessibleControls(page: Page, where: string): Promise<void> {
  const unnamed = await page.evaluate(() => {
    const visible = (el: Element) => (el as HTMLElement).offsetParent !== null || el.getClientRects().length > 0;
    const problems: string[] = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      const input = el as HTMLInputElement;
      if (input.type === 'hidden' || !visible(el)) continue;
      if (!(input.labels?.length || input.getAttribute('aria-label') || input.getAttribute('aria-labelledby'))) problems.push(el.outerHTML.slice(0, 120));
    }
    for (const el of document.querySelectorAll('button, a[href], [role="slider"], [role="progressbar"]')) {
      if (!visible(el)) continue;
      if (!((el.textContent ?? '').trim() || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))) problems.push(el.outerHTML.slice(0, 120));
    }
    if (document.querySelectorAll('h1').length !== 1) problems.push(`${document.querySelectorAll('h1').length} h1 elements`);
    return problems;
  });
  assert.deepEqual(unnamed, [], `controls without an accessible name on ${where}`);
  await assertAxeClean(page, where);
}

const AXE_SOURCE = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's WCAG 2.1 A and AA rules on the page as it is (contrast, names, roles, landmarks, ARIA use):
 * no serious or critical violation. Media players' own shadow controls are the browser's and left out.
 */
export async function assertAxeClean(page: Page, where: string): Promise<void> {
  // Evaluated through the DevTools protocol: the page's own CSP (script-src 'self') rightly refuses inline scripts.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)).join(', ')}`);
  });
  assert.deepEqual(violations, [], `accessibility problems on ${where}`);
}

/** The width the page's content needs: wider than the viewport means sideways scrolling on a phone. */
export async function assertNoSidewaysScroll(page: Page, where: string): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(scroll <= client + 1, `${where} scrolls sideways on a phone (${scroll} px content in ${client} px)`);
}

/** A sentence spoken by espeak-ng into a WAV file (Chromium's fake microphone plays it in a loop). */
export async function speechWav(text: string, file: string): Promise<string> {
  await promisify(execFile)('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', file, text]);
  return file;
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
