import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@netbroker/testing';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The system's Chromium (scripts/setup.sh installs Debian's package): playwright-core downloads no browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Everything the page did that a test asserts on: requests, the API's answers, dialogs, console errors. */
export interface Recorded {
  /** Every URL the page requested (none may carry a token). */
  urls: string[];
  /** The body of every answer from the API's origin, as text. */
  bodies: Array<{ url: string; status: number; body: string }>;
  /** Any alert/confirm/prompt: the portal never opens one, an injected script would. */
  dialogs: string[];
  /** Console errors (but the API's 4xx answers), CSP violations, uncaught exceptions. */
  errors: string[];
}

export interface PortalBrowser {
  browser: Browser;
  page: Page;
  recorded: Recorded;
  /** Waits for the answers' bodies the page has received so far to be read. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** One headless Chromium and one page for a test file (reused by its tests: starting one costs ~1 s). */
export async function openBrowser(origin: string): Promise<PortalBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const recorded: Recorded = { urls: [], bodies: [], dialogs: [], errors: [] };
  const reading: Array<Promise<void>> = [];
  page.on('request', (r) => recorded.urls.push(r.url()));
  page.on('response', (r) => {
    if (!r.url().startsWith(origin)) return;
    reading.push(
      r.text().then(
        (body) => void recorded.bodies.push({ url: r.url(), status: r.status(), body }),
        // A redirect or a 304 has no body to read.
        () => void recorded.bodies.push({ url: r.url(), status: r.status(), body: '' }),
      ),
    );
  });
  page.on('dialog', (d) => {
    recorded.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('console', (m) => {
    // Chromium logs every 4xx answer as "Failed to load resource": the API's refusals, which the
    // page handles (recorded in `bodies`). Anything else logged as an error counts, CSP reports first.
    if ((m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of 4')) || /Content Security Policy/i.test(m.text())) {
      recorded.errors.push(m.text());
    }
  });
  page.on('pageerror', (e) => recorded.errors.push(`page error: ${e.message}`));
  return {
    browser,
    page,
    recorded,
    settled: async () => {
      await Promise.all(reading);
    },
    close: () => browser.close(),
  };
}

/**
 * A screenshot of the page as a test artefact (`.artefacts/portal/<name>.png`, git-ignored); with
 * `docs`, also its copy docs/images/portal-<name>.png (referenced from the README) when that is
 * missing or `UPDATE_DOCS_IMAGES=1`: the committed images change only when asked for.
 */
export async function screenshot(page: Page, name: string, opts: { docs?: boolean } = {}): Promise<string> {
  const artefacts = join(repoRoot, '.artefacts', 'portal');
  await mkdir(artefacts, { recursive: true });
  const file = join(artefacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const doc = join(repoRoot, 'docs', 'images', `portal-${name}.png`);
  if (opts.docs && (process.env.UPDATE_DOCS_IMAGES === '1' || !existsSync(doc))) {
    await mkdir(join(repoRoot, 'docs', 'images'), { recursive: true });
    await copyFile(file, doc);
  }
  return file;
}
