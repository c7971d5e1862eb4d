import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IpamClient } from '@netbroker/bus';
import { CreatedToken } from '@netbroker/contracts';
import { eventually, mulberry32, ownedTempDir, startPrivatePlatform, type PrivatePlatform } from '@netbroker/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildPortal } from '../build';
import { openBrowser, screenshot, type PortalBrowser } from './browser';

// The address-space map in headless Chromium: a 10/8 pool holding 10,000 allocations (made
// straight through the ipam's request/reply, not 10,000 project creations), drawn from the API's
// per-cell tallies in under a second, operable with the keyboard; the tenant sees its own blocks
// and the others' only as "used by others", the admin sees every block named.

const stack = inject('stack');
const suffix = randomUUID().slice(0, 6);
const B = `pmb${suffix}`;
/** Tenants that hold the rest of the pool: B must never see their names. */
const strangers = Array.from({ length: 8 }, (_, i) => `pmx${i}${suffix}`);
const ALLOCATIONS = 10_000;
const pools = [
  { name: 'projects', kind: 'prefix', prefixes: ['10.0.0.0/8'], presets: ['ovh-mks-free'], reserved: ['10.96.0.0/16'], defaultPrefixLength: 24 },
  { name: 'egress-cloud', kind: 'address', ranges: [{ start: '100.70.0.10', end: '100.70.0.250' }] },
  { name: 'egress-public', kind: 'address', ranges: [{ start: '198.51.104.10', end: '198.51.104.20' }] },
];

let dir: string;
let platform: PrivatePlatform;
let ui: string;
let browser: PortalBrowser;
let page: Page;
let token: string;
/** B's blocks, by CIDR. */
const own = new Set<string>();

const textOf = (selector: string) => page.locator(selector).first().innerText();
const waitForText = (selector: string, pattern: RegExp, timeoutMs = 15_000) =>
  eventually(
    async () => {
      const text = await textOf(selector);
      expect(text).toMatch(pattern);
      return text;
    },
    { timeoutMs },
  );

/** How long the last map took in the page, from its request to the canvas drawn (performance.measure in views/pools.ts). */
const lastMapMs = async (): Promise<number> => {
  const entries = (await page.evaluate(`performance.getEntriesByName('netbroker:map').map((e) => e.duration)`)) as number[];
  expect(entries.length).toBeGreaterThan(0);
  return entries.at(-1)!;
};

/** The live region's text, once it says something new. */
const announced = (pattern: RegExp) => waitForText('#map-status', pattern);

beforeAll(async () => {
  dir = ownedTempDir('netbroker-portal-map-');
  const built = await buildPortal(join(dir, 'portal'));
  platform = await startPrivatePlatform({ name: `portal-map-${suffix}`, host: stack.host!, pools, apiEnv: { PORTAL_DIR: built.dir } });
  expect((await platform.call('POST', '/admin/tenants', { name: B })).status).toBe(201);
  token = CreatedToken.parse((await platform.call('POST', `/admin/tenants/${B}/tokens`, { name: 'portal' })).body).token;

  // 10,000 /24s at random places of the /8 (a fixed seed), one in ten B's: asked for by CIDR,
  // many requests in flight; a place taken or reserved is refused and another one drawn.
  const ipam = new IpamClient(platform.nc, { timeoutMs: 30_000 });
  const random = mulberry32(17);
  const started = Date.now();
  let claimed = 0;
  let drawn = 0;
  const worker = async () => {
    while (claimed < ALLOCATIONS) {
      const n = claimed++;
      const mine = n % 10 === 0;
      const owner = mine ? { tenant: B, project: `web${n % 7}`, purpose: 'cidr' } : { tenant: strangers[n % strangers.length]!, project: `secret${n}`, purpose: 'cidr' };
      for (;;) {
        const cidr = `10.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.0/24`;
        drawn++;
        try {
          await ipam.allocate({ requestId: `map-${suffix}-${n}-${cidr}`, pool: 'projects', owner, cidr });
        } catch {
          continue; // taken, or reserved: another place
        }
        if (mine) own.add(cidr);
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  console.log(`[map] ${claimed} allocations (${drawn} places drawn) in ${Date.now() - started} ms`);

  ui = `${platform.apiUrl}/ui/`;
  browser = await openBrowser(platform.apiUrl);
  page = browser.page;
  await page.goto(ui);
  await waitForText('h1', /Sign in/);
  await page.fill('input[type=password]', token);
  await page.keyboard.press('Enter');
  await waitForText('h1', /^Projects$/);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the address-space map, as a tenant', () => {
  it('lists the pools the tenant draws from, with how full each is', async () => {
    await page.click('nav a:text("Address space")');
    await waitForText('h1', /^Address space$/);
    const row = await waitForText('tbody tr[data-key="projects"]', /projects/);
    expect(row).toMatch(/^projects\s+prefix\s+10\.0\.0\.0\/8\s+15\.2% \(2,560,000 of 16,777,216\), 1\.5% yours \(256,000\)/);
    await waitForText('tbody tr[data-key="egress-cloud"]', /^egress-cloud\s+address\s+100\.70\.0\.10–100\.70\.0\.250/);
  });

  it(`draws a 10/8 holding ${ALLOCATIONS.toLocaleString('en')} allocations in under a second`, async () => {
    await page.click('tbody tr[data-key="projects"] a');
    await waitForText('h1', /^Pool projects$/);
    await eventually(async () => expect(await page.locator('.map-box').getAttribute('aria-busy')).toBeNull(), { timeoutMs: 15_000 });
    const ms = await lastMapMs();
    console.log(`[map] request to canvas drawn: ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1_000);
    // The text alternative: totals, and B's blocks only, largest first, the rest counted.
    expect(await textOf('table:has(caption:text("Totals")) tbody')).toMatch(/^Yours\t256,000\t1\.5%\nUsed by others\t2,304,000\t13\.7%\nReserved\t\d[\d,]*\t\d+\.\d%\nFree\t/);
    const listed = (await page.locator('table:has(caption:text("Blocks")) tbody tr').allInnerTexts()).map((r) => r.split('\t')[0]!);
    expect(listed).toHaveLength(256);
    for (const cidr of listed) expect(own.has(cidr), cidr).toBe(true);
    expect(await textOf('.map-text p.hint')).toMatch(/^Only the first 256 blocks are listed/);
    await screenshot(page, 'map', { docs: true });
  });

  it('is operable with the keyboard: arrows move the highlighted cell and say what it holds, Enter zooms in to a /24, Escape zooms out', async () => {
    await page.focus('canvas.map');
    await page.keyboard.press('Home');
    expect(await announced(/^10\.0\.0\.0\/20: /)).toMatch(/^10\.0\.0\.0\/20: (\d+\.\d% (yours|used by others|reserved|free)(, )?)+/);
    // Right of cell 0 on the curve is cell 1 (10.0.16.0/20); below it, cell 3.
    await page.keyboard.press('ArrowRight');
    await announced(/^10\.0\.16\.0\/20: /);
    await page.keyboard.press('ArrowDown');
    await announced(/^10\.0\.32\.0\/20: /);
    await page.keyboard.press('ArrowLeft');
    await announced(/^10\.0\.48\.0\/20: /);
    // Enter: the /12 holding the cell, 16 times closer; then a /16, a /20, a /24.
    const windows = ['10.0.0.0/12', '10.0.0.0/16', '10.0.0.0/20', '10.0.0.0/24'];
    for (const window of windows) {
      await page.keyboard.press('Enter');
      await waitForText('nav.crumbs [aria-current=location]', new RegExp(`^${window.replaceAll('.', '\\.')}$`));
      // The live region says where the zoom went, and what the highlighted cell holds.
      await announced(new RegExp(`^Showing ${window.replaceAll('.', '\\.')}, (4096|256) cells\\. ${window.split('/')[0]!.replaceAll('.', '\\.')}/\\d+: `));
      await eventually(async () => expect(await page.locator('.map-box').getAttribute('aria-busy')).toBeNull());
      expect(await lastMapMs()).toBeLessThan(1_000);
      // The canvas keeps focus, the highlight on the window's first cell.
      expect(await page.evaluate('document.activeElement.tagName')).toBe('CANVAS');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowLeft');
    }
    // A /24 of cells of one address: the closest view.
    expect(await announced(/^10\.0\.0\.3\/32: /)).toMatch(/^10\.0\.0\.3\/32: 100\.0% (yours|used by others|free)/);
    await page.keyboard.press('Enter');
    await announced(/closest view/);
    await screenshot(page, 'map-24');
    for (const window of [...windows].reverse().slice(1)) {
      await page.keyboard.press('Escape');
      await waitForText('nav.crumbs [aria-current=location]', new RegExp(`^${window.replaceAll('.', '\\.')}$`));
    }
    await page.keyboard.press('Escape');
    await waitForText('nav.crumbs [aria-current=location]', /^Whole pool \(10\.0\.0\.0\/8\)$/);
    await page.keyboard.press('Escape');
    await announced(/^This is the whole pool\.$/);
  });

  it('zooms in with a click on a cell', async () => {
    const box = (await page.locator('canvas.map').boundingBox())!;
    // The top-right corner: the curve's last cell, 10.255.240.0/20, in 10.240.0.0/12.
    await page.mouse.click(box.x + box.width - 2, box.y + 2);
    await waitForText('nav.crumbs [aria-current=location]', /^10\.240\.0\.0\/12$/);
    await page.click('nav.crumbs button:text("Whole pool")');
    await waitForText('nav.crumbs [aria-current=location]', /^Whole pool/);
  });

  it('never names another tenant or shows one of its blocks: not in the page, not in any answer', async () => {
    await browser.settled();
    const html = await page.content();
    const answers = browser.recorded.bodies.filter((b) => b.url.includes('/map'));
    expect(answers.length).toBeGreaterThan(5);
    for (const name of strangers) {
      expect(html).not.toContain(name);
      for (const { url, body } of browser.recorded.bodies) expect(body.includes(name), `${name} in ${url}`).toBe(false);
    }
    expect(html).not.toContain('secret');
    for (const { body } of answers) expect(body).not.toContain('secret');
    expect(browser.recorded.dialogs).toEqual([]);
    expect(browser.recorded.errors).toEqual([]);
  });
});

describe('the address-space map, as the admin', () => {
  it('names every block, and draws in under a second too', async () => {
    await page.click('header button:text("Sign out")');
    await page.fill('input[type=password]', platform.adminToken);
    await page.keyboard.press('Enter');
    await waitForText('h1', /^Tenants$/);
    await page.evaluate(`location.hash = '#/pools/projects'`);
    await waitForText('h1', /^Pool projects$/);
    await eventually(async () => expect(await page.locator('.map-box').getAttribute('aria-busy')).toBeNull(), { timeoutMs: 15_000 });
    expect(await lastMapMs()).toBeLessThan(1_000);
    expect(await textOf('table:has(caption:text("Totals")) tbody')).toMatch(/^Allocated\t2,560,000\t15\.2%\n/);
    const first = await textOf('table:has(caption:text("Blocks")) tbody tr');
    expect(first).toMatch(new RegExp(`^10\\.\\d+\\.\\d+\\.0/24\\t(${[B, ...strangers].join('|')})\\t(web|secret)\\d+\\tcidr$`));
    expect(await page.locator('ul.legend li').allInnerTexts()).toEqual(['Allocated', 'Reserved', 'Free', 'Outside the pool', 'Lighter: less of the cell.']);
    await screenshot(page, 'admin-map', { docs: true });
  });
});
