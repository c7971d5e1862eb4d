import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CreatedToken, type Problem } from '@netbroker/contracts';
import { buildPortal, JS_BUDGET_BYTES, type PortalBuild } from '../build';
import { eventually, ownedTempDir, startPrivatePlatform, type PrivatePlatform } from '@netbroker/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openBrowser, screenshot, type PortalBrowser } from './browser';

// The portal in headless Chromium against a real api, ipam and provisioner (a private platform:
// its own nats-server, the shared host apiserver), served by the api from a build of this run.
// One browser and one page for the file; the tests run in order and build on each other (sign
// in, create, …) as a user would.

const stack = inject('stack');
const suffix = randomUUID().slice(0, 6);
/** B uses the portal; A exports to B; C is a stranger whose data must appear nowhere in B's browser. */
const A = `pta${suffix}`;
const B = `ptb${suffix}`;
const C = `ptc${suffix}`;
const pools = [
  { name: 'projects', kind: 'prefix', prefixes: ['10.183.0.0/16'], defaultPrefixLength: 24 },
  { name: 'egress-cloud', kind: 'address', ranges: [{ start: '100.69.0.10', end: '100.69.0.250' }] },
  { name: 'egress-public', kind: 'address', ranges: [{ start: '198.51.103.10', end: '198.51.103.20' }] },
];

let dir: string;
let built: PortalBuild;
let platform: PrivatePlatform;
let ui: string;
let browser: PortalBrowser;
let page: Page;
const tokens: Record<string, string> = {};

/** Waits until the element's text matches. */
const textOf = (page: Page, selector: string) => page.locator(selector).first().innerText();
async function waitForText(selector: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return eventually(
    async () => {
      const text = await textOf(page, selector);
      expect(text).toMatch(pattern);
      return text;
    },
    { timeoutMs },
  );
}

beforeAll(async () => {
  dir = ownedTempDir('netbroker-portal-');
  built = await buildPortal(join(dir, 'portal'));
  platform = await startPrivatePlatform({ name: `portal-${suffix}`, host: stack.host!, pools, provisioner: true, apiEnv: { PORTAL_DIR: built.dir } });
  for (const tenant of [A, B, C]) {
    expect((await platform.call('POST', '/admin/tenants', { name: tenant })).status).toBe(201);
    tokens[tenant] = CreatedToken.parse((await platform.call('POST', `/admin/tenants/${tenant}/tokens`, { name: 'portal' })).body).token;
  }
  ui = `${platform.apiUrl}/ui/`;
  browser = await openBrowser(platform.apiUrl);
  page = browser.page;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the build', () => {
  it(`ships at most ${JS_BUDGET_BYTES / 1024} KiB of minified JavaScript (the README's budget), in content-hashed files`, async () => {
    expect(built.jsBytes).toBeGreaterThan(0);
    expect(built.jsBytes).toBeLessThanOrEqual(JS_BUDGET_BYTES);
    const assets = built.files.filter((f) => f.path.startsWith('assets/')).map((f) => f.path);
    expect(assets.every((p) => /^assets\/(main|styles)-[A-Z0-9]{8}\.(js|css)(\.map)?$/.test(p))).toBe(true);
    expect(assets.filter((p) => !p.endsWith('.map'))).toHaveLength(2);
  });

  it('has no HTML parsing, eval or inline handler in the bundle (eslint forbids them in the sources; this holds the output)', async () => {
    const js = await readFile(join(built.dir, built.files.find((f) => f.path.endsWith('.js'))!.path), 'utf8');
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'localStorage', 'document.cookie']) expect(js).not.toContain(sink);
    const html = await readFile(join(built.dir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
  });
});

describe('serving /ui', () => {
  const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  const securityHeaders = (res: Response) => ({
    csp: res.headers.get('content-security-policy'),
    nosniff: res.headers.get('x-content-type-options'),
    referrer: res.headers.get('referrer-policy'),
  });
  const expected = { csp, nosniff: 'nosniff', referrer: 'no-referrer' };

  it('serves the page no-cache with an ETag (304 when unchanged), and the CSP and security headers', async () => {
    const res = await fetch(ui);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(securityHeaders(res)).toEqual(expected);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await fetch(ui, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(securityHeaders(again)).toEqual(expected);
  });

  it('serves the hashed assets immutable for a year, with their types', async () => {
    const html = await (await fetch(ui)).text();
    const assets = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const res = await fetch(`${ui}${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-type')).toBe(asset.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(securityHeaders(res)).toEqual(expected);
    }
  });

  it.each([
    ['an asset that does not exist', 'assets/main-AAAAAAAA.js'],
    ['a name that is not an asset', 'assets/..%2F..%2Fpackage.json'],
    ['anything else under /ui', 'admin'],
  ])('answers %s with a 404 problem, with the same headers', async (_what, path) => {
    const res = await fetch(`${ui}${path}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as Problem).code).toBe('not-found');
    expect(securityHeaders(res)).toEqual(expected);
  });

  it('sends /ui to /ui/ (relative: it holds behind a path prefix)', async () => {
    const res = await fetch(`${platform.apiUrl}/ui`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('ui/');
  });
});

describe('a tenant in the portal', () => {
  it('signs in with the keyboard only', async () => {
    await page.goto(ui);
    await waitForText('h1', /Sign in/);
    // The heading has focus: the token field is the next stop.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.type')).toBe('password');
    await page.keyboard.type(tokens[B]!);
    await page.keyboard.press('Enter');
    await waitForText('h1', /^Projects$/);
    expect(await page.evaluate('document.activeElement.tagName')).toBe('H1');
    // No reload from here on: the marker would be gone.
    await page.evaluate('window.__noReload = true');
  });

  it('creates a project with the keyboard only and sees it become Ready without a reload', async () => {
    // Every text the phase cells show, in order.
    await page.evaluate(`(() => {
      window.__phases = [];
      new MutationObserver(() => {
        for (const td of document.querySelectorAll('td.phase-cell')) if (window.__phases.at(-1) !== td.textContent) window.__phases.push(td.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.name')).toBe('name');
    await page.keyboard.type('web');
    await page.keyboard.press('Enter');
    await waitForText('[role=status][aria-live=polite]', /Project web created; provisioning/);
    const row = await waitForText('tbody tr[data-key="web"]', /Ready/, 30_000);
    expect(row).toMatch(/^web\s+Ready\s+Address block: yes, allocated.*\n?.*10\.183\.\d+\.0\/24\s+100\.69\.0\.\d+\s+ptb\w+-web/s);
    expect(await page.evaluate('window.__phases')).toEqual(['Provisioning…', 'Ready']);
    expect(await page.evaluate('window.__noReload')).toBe(true);
    await screenshot(page, 'projects');
  });

  it.each([
    ['a CIDR that does not read', '10.0.0.0/33', 422],
    ['a CIDR outside the pool', '192.168.7.0/24', 409],
  ])('shows the API’s own message next to the CIDR field: %s', async (_what, cidr, status) => {
    const expected = await platform.call('POST', '/v1/projects', { name: 'bad', cidr, egressNetworkType: 'cloud' }, tokens[B]);
    expect(expected.status).toBe(status);
    const problem = expected.body as Problem;
    const message = problem.errors?.find((e) => e.path === 'cidr')?.message ?? problem.detail;
    await page.fill('input[name=name]', 'bad');
    await page.fill('input[name=cidr]', cidr);
    await page.click('form.create button[type=submit]');
    const field = page.locator('input[name=cidr]');
    await eventually(async () => expect(await field.getAttribute('aria-invalid')).toBe('true'));
    const described = (await field.getAttribute('aria-describedby'))!.split(' ');
    const error = page.locator(`[id="${described.at(-1)}"]`);
    expect(await error.innerText()).toBe(message);
    expect(await page.evaluate('document.activeElement.name')).toBe('cidr');
    expect(await page.locator('input[name=name]').getAttribute('aria-invalid')).toBeNull();
    await page.fill('input[name=cidr]', '');
    await page.fill('input[name=name]', '');
  });
});
