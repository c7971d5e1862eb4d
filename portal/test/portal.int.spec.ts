import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CreatedToken, type Import, type Peering, type Problem, type Project, type VCluster } from '@netbroker/contracts';
import { buildPortal, JS_BUDGET_BYTES, type PortalBuild } from '../build';
import { eventually, freePort, kubeconfigFile, ownedTempDir, startPrivatePlatform, type PrivatePlatform } from '@netbroker/testing';
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
  // The range's bounds reserved: no egress IP is also a bound (the pool list shows the bounds).
  { name: 'egress-cloud', kind: 'address', ranges: [{ start: '100.69.0.10', end: '100.69.0.250' }], reserved: ['100.69.0.10/32', '100.69.0.250/32'] },
  { name: 'egress-public', kind: 'address', ranges: [{ start: '198.51.103.10', end: '198.51.103.20' }] },
  { name: 'links', kind: 'prefix', prefixes: ['198.18.5.0/24'], defaultPrefixLength: 30 },
];
/** A's and C's projects: B may see A's tenant and the exporting project's name (the grant shows them), nothing else of theirs. */
const others = [
  { tenant: () => A, name: 'api' },
  { tenant: () => A, name: 'zzhidden' },
  { tenant: () => C, name: 'zzsecret' },
];

/**
 * Hostile text: script payloads where the API takes free text (a tenant's display name, a private
 * network's description), in a link anyone can send (the hash route) and typed into the forms
 * (names are DNS labels, so the API refuses them there, and the portal shows its message).
 */
const payloads = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(2)</script>',
  '"><svg onload=alert(3)>',
  'javascript:alert(4)',
  "'><iframe srcdoc='<script>alert(5)</script>'></iframe>",
  '<a href="javascript:alert(6)">click</a>',
  '{{constructor.constructor("alert(7)")()}}',
];

/** What of A's and C's B must never see: filled in once their projects are Ready. */
const foreign: string[] = [];
/** The page's HTML (attributes included) at each view B visited. */
const seen: Array<{ view: string; html: string }> = [];
const remember = async (view: string) => void seen.push({ view, html: await page.content() });

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

/**
 * Nothing the payloads could have made exists: no dialog opened, no element but the portal's own,
 * no script but its module, no link but its own routes, no CSP violation or page error.
 */
async function expectNoInjection(): Promise<void> {
  expect(browser.recorded.dialogs).toEqual([]);
  expect(browser.recorded.errors).toEqual([]);
  expect(await page.locator('img, svg, iframe, object, embed, script:not([type=module][src^="assets/"])').count()).toBe(0);
  expect(await page.locator('script').count()).toBe(1);
  for (const href of await page.locator('a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href')))) expect(href).toMatch(/^#\//);
  expect(await page.evaluate('window.__noReload')).toBe(true);
}

beforeAll(async () => {
  dir = ownedTempDir('netbroker-portal-');
  built = await buildPortal(join(dir, 'portal'));
  platform = await startPrivatePlatform({ name: `portal-${suffix}`, host: stack.host!, pools, provisioner: true, apiEnv: { PORTAL_DIR: built.dir } });
  for (const tenant of [A, B, C]) {
    expect((await platform.call('POST', '/admin/tenants', { name: tenant })).status).toBe(201);
    tokens[tenant] = CreatedToken.parse((await platform.call('POST', `/admin/tenants/${tenant}/tokens`, { name: 'portal' })).body).token;
  }
  await platform.start('router', `router-portal-${suffix}`, { BACKENDS: 'linux', LINK_POOL: 'links', HOST_SERVICE_CIDRS: '10.96.0.0/16', LOG_LEVEL: 'warn' });
  for (const p of others) expect((await platform.call('POST', '/v1/projects', { name: p.name, egressNetworkType: 'cloud' }, tokens[p.tenant()])).status).toBe(202);
  for (const p of others) {
    const ready = await eventually(
      async () => {
        const got = await platform.call('GET', `/v1/projects/${p.name}`, undefined, tokens[p.tenant()]);
        expect((got.body as Project).status.phase).toBe('Ready');
        return got.body as Project;
      },
      { timeoutMs: 30_000 },
    );
    foreign.push(ready.status.cidr!, ready.status.egressIp!, ready.status.namespace!);
    if (p.name !== 'api') foreign.push(p.name);
  }
  foreign.push(C);
  // A exposes a Service of api to B's project web (which B makes in the portal): pending until B accepts.
  const exposure = await platform.call('POST', '/v1/projects/api/exposures', { name: 'pgsql', service: 'default/postgres', ports: [{ port: 5432 }], grants: [`${B}/web`] }, tokens[A]);
  expect(exposure.status).toBe(201);
  const vrack = await platform.call('PUT', '/admin/private-networks/vrack', { cidr: '192.168.100.0/24', gateway: '192.168.100.1', tenants: [B], description: 'vRack VLAN 100' });
  expect(vrack.status, vrack.text).toBe(200);
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

  it('answers /ui with a problem saying to build the portal when there is none, the API unaffected', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    const port = await freePort();
    const bare = await platform.start('api', `api-bare-${suffix}`, { HTTP_PORT: String(port), NETBROKER_ADMIN_TOKEN: platform.adminToken, PORTAL_DIR: empty });
    try {
      for (const path of ['/ui/', '/ui/assets/main-AAAAAAAA.js']) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        expect(res.status).toBe(404);
        const problem = (await res.json()) as Problem;
        expect(problem.code).toBe('not-found');
        expect(problem.detail).toMatch(/^the portal is not built: run `npm run build`/);
      }
      const projects = await fetch(`http://127.0.0.1:${port}/v1/projects`, { headers: { authorization: `Bearer ${tokens[B]}` } });
      expect(projects.status).toBe(200);
    } finally {
      await bare.stop();
    }
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
    await waitForText('header .who', new RegExp(`^Tenant ${B}$`));
    await remember('projects');
    await screenshot(page, 'projects', { docs: true });
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
    // The field names its error (aria-describedby), which says what the API said.
    await eventually(async () => {
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      const described = (await field.getAttribute('aria-describedby'))!.split(' ');
      expect(await page.locator(`[id="${described.at(-1)}"]`).innerText()).toBe(message);
    });
    expect(await page.evaluate('document.activeElement.name')).toBe('cidr');
    expect(await page.locator('input[name=name]').getAttribute('aria-invalid')).toBeNull();
    await page.fill('input[name=cidr]', '');
    await page.fill('input[name=name]', '');
  });

  it('accepts the grant of another tenant and a peering it asked for, on the project page', async () => {
    const peering = await platform.call('POST', '/v1/peerings', { project: 'api', peer: { tenant: B, project: 'web' } }, tokens[A]);
    expect(peering.status).toBe(201);
    const id = (peering.body as Peering).id;
    await page.click('tbody tr[data-key="web"] a');
    await waitForText('h1', /^Project web$/);
    const offer = `tbody tr[data-key="${A}/api/pgsql"]`;
    expect(await waitForText(offer, /offered/)).toMatch(new RegExp(`^${A}/api\\s+pgsql\\s+offered\\s+pgsql-ext\\s+5432/TCP\\s+Waiting for your acceptance`));
    await page.click(`${offer} button:text("Accept")`);
    await waitForText(offer, /accepted/);
    const imports = await platform.call('GET', '/v1/projects/web/imports', undefined, tokens[B]);
    expect((imports.body as { items: Import[] }).items.map((i) => [i.exporter, i.exposure, i.state])).toEqual([[`${A}/api`, 'pgsql', 'accepted']]);
    // The exporter sees it accepted too.
    const exposure = await platform.call('GET', '/v1/projects/api/exposures/pgsql', undefined, tokens[A]);
    expect(exposure.text).toMatch(new RegExp(`"project":"${B}/web","state":"accepted"`));

    const row = `tbody tr[data-key="${id}"]`;
    expect(await waitForText(row, /asked to accept/)).toMatch(new RegExp(`^${A}/api\\s+asked to accept\\s+waiting for acceptance`));
    await page.click(`${row} button:text("Accept")`);
    await waitForText(row, /Programming|Active/);
    const accepted = await platform.call('GET', `/v1/peerings/${id}`, undefined, tokens[B]);
    expect(['Programming', 'Active']).toContain((accepted.body as Peering).state);
    await remember('project');
    await screenshot(page, 'project', { docs: true });
  });

  it('grants its own exposure to another project from the portal, then revokes it after confirming', async () => {
    expect((await platform.call('POST', '/v1/projects/web/exposures', { name: 'cache', service: 'default/redis', ports: [{ port: 6379 }] }, tokens[B])).status).toBe(201);
    const card = 'article.card[data-key="cache"]';
    await waitForText(card, /Not granted to any project/);
    await page.fill(`${card} input[name=project]`, `${A}/api`);
    await page.click(`${card} button:text("Grant")`);
    const grant = `${card} tbody tr[data-key="${A}/api"]`;
    await waitForText(grant, /pending: waiting for its acceptance/);
    // A refusal is shown at its field.
    await page.fill(`${card} input[name=project]`, 'web');
    await page.click(`${card} button:text("Grant")`);
    await eventually(async () => expect(await page.locator(`${card} input[name=project]`).getAttribute('aria-invalid')).toBe('true'));
    expect(await page.locator(`${card} .field-error`).innerText()).toBe('project web cannot be granted its own exposure');
    // Revoke: asked first, in the page (a browser dialog would fail this file).
    await page.click(`${grant} button:text("Revoke")`);
    expect(await page.locator(`${grant} .question`).innerText()).toBe(`Revoke ${A}/api’s access?`);
    expect(await page.evaluate('document.activeElement.textContent')).toBe('No');
    await page.click(`${grant} button:text("Yes")`);
    await waitForText(card, /Not granted to any project/);
    const exposure = await platform.call('GET', '/v1/projects/web/exposures/cache', undefined, tokens[B]);
    expect(exposure.text).toMatch(/"grants":\[\]/);
    await remember('project-revoked');
  });

  it('shows the virtual cluster registration of the project', async () => {
    const registered = await platform.call('PUT', '/v1/projects/web/vcluster', { kubeconfig: kubeconfigFile(stack.virtual[0]!), options: { name: `v${suffix}` } }, tokens[B]);
    expect(registered.status, registered.text).toBe(202);
    expect((registered.body as VCluster).name).toBe(`v${suffix}`);
    // No syncer runs here: the registration waits for one, with progress shown.
    const section = await waitForText('section[aria-labelledby=vcluster-title]', new RegExp(`v${suffix}`));
    expect(section).toMatch(new RegExp(`^Virtual cluster\\s+Name\\s+v${suffix}\\s+Registered\\s+\\S.+ \\(kubeconfig stored sealed\\)\\s+Sync\\s+Waiting for a syncer…\\s+Sync conflicts\\s+—$`));
  });

  it('deletes a project after confirming in the page', async () => {
    expect((await platform.call('POST', '/v1/projects', { name: 'scratch', egressNetworkType: 'cloud' }, tokens[B])).status).toBe(202);
    await page.click('nav a:text("Projects")');
    const row = 'tbody tr[data-key="scratch"]';
    await waitForText(row, /^scratch/);
    await page.click(`${row} button:text("Delete")`);
    expect(await textOf(page, `${row} .question`)).toBe('Delete project scratch?');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('No');
    await page.click(`${row} button:text("Yes")`);
    await waitForText('[role=status][aria-live=polite]', /^Project scratch: deletion requested\.$/);
    // Deleting… while the provisioner tears it down (gone from the list once it has).
    await eventually(async () => {
      const rows = await page.locator(row).count();
      if (rows) expect(await textOf(page, row)).toMatch(/^scratch\s+Deleting…/);
    });
    const after = await platform.call('GET', '/v1/projects/scratch', undefined, tokens[B]);
    expect(after.status === 404 || (after.body as Project).deletionRequestedAt !== undefined).toBe(true);
  });

  it('sees the address space: its own block named, the other tenants’ only as used', async () => {
    await page.click('nav a:text("Address space")');
    await waitForText('h1', /^Address space$/);
    expect(await waitForText('tbody tr[data-key="projects"]', /yours/)).toMatch(/^projects\s+prefix\s+10\.183\.0\.0\/16\s+1\.5% \(1,024 of 65,536\), 0\.3% yours \(256\)/);
    await remember('pools');
    await page.click('tbody tr[data-key="projects"] a');
    await waitForText('h1', /^Pool projects$/);
    const web = (await platform.call('GET', '/v1/projects/web', undefined, tokens[B])).body as Project;
    expect(await waitForText('table:has(caption:text("Blocks")) tbody', /cidr/)).toBe(`${web.status.cidr}\tweb\tcidr`);
    expect(await textOf(page, 'table:has(caption:text("Totals")) tbody')).toMatch(/^Yours\t256\t0\.3%\nUsed by others\t768\t1\.1%\n/);
    await remember('map');
    // 16 times closer, on the first cell: the /20 with every project's block (each one a cell of /32 now).
    await page.focus('canvas.map');
    await page.keyboard.press('Enter');
    await waitForText('nav.crumbs [aria-current=location]', /^10\.183\.0\.0\/20$/);
    await waitForText('#map-status', /^Showing 10\.183\.0\.0\/20, 4096 cells\. 10\.183\.0\.0\/32: /);
    await remember('map-zoomed');
  });

  describe('hostile text', () => {
    beforeAll(async () => {
      // Each payload as the description of a private network shared with B.
      for (const [i, payload] of payloads.entries()) {
        const net = await platform.call('PUT', `/admin/private-networks/xss${i}`, { cidr: `192.168.${200 + i}.0/24`, gateway: `192.168.${200 + i}.1`, tenants: [B], description: payload });
        expect(net.status, net.text).toBe(200);
      }
    });

    it.each(payloads)('shows %j as text wherever it comes from: a link, a description, a form', async (payload) => {
      // A link with the payload as the project's name.
      await page.evaluate(`location.hash = ${JSON.stringify(`#/projects/${encodeURIComponent(payload)}`)}`);
      await waitForText('h1', /^Project /);
      expect(await textOf(page, 'h1')).toBe(`Project ${payload}`);
      expect(await waitForText('.summary', /There is no project/)).toContain(`There is no project named “${payload}”`);
      // The descriptions of the private networks shared with the tenant, on its project page.
      await page.evaluate(`location.hash = '#/projects/web'`);
      await waitForText('h1', /^Project web$/);
      const i = payloads.indexOf(payload);
      expect(await waitForText(`tbody tr[data-key="xss${i}"]`, /xss/)).toBe(`xss${i}\t192.168.${200 + i}.0/24\t192.168.${200 + i}.1\t${payload}`);
      // Typed as a new project's name: refused by the API, its message shown at the field, the value kept as typed.
      await page.click('nav a:text("Projects")');
      await waitForText('h1', /^Projects$/);
      // A view opened again shows its data (its first read is a full one, whatever the ETags).
      await waitForText('tbody tr[data-key="web"]', /Ready/);
      await page.fill('input[name=name]', payload);
      await page.click('form.create button[type=submit]');
      await eventually(async () => expect(await page.locator('input[name=name]').getAttribute('aria-invalid')).toBe('true'));
      expect(await page.locator('input[name=name]').inputValue()).toBe(payload);
      expect(await textOf(page, 'form.create .field-error:not([hidden])')).toMatch(/must be a DNS-1123 label/);
      await expectNoInjection();
    });
  });

  it('never shows another tenant’s data: not in the page, not in any answer the page received, no token in any URL', async () => {
    expect(foreign.length).toBeGreaterThan(8);
    for (const { view, html } of seen) for (const secret of foreign) expect(html.includes(secret), `${secret} in the ${view} view`).toBe(false);
    await browser.settled();
    expect(browser.recorded.bodies.length).toBeGreaterThan(10);
    for (const { url, body } of browser.recorded.bodies) for (const secret of foreign) expect(body.includes(secret), `${secret} in the answer to ${url}`).toBe(false);
    for (const url of browser.recorded.urls) for (const token of Object.values(tokens)) expect(url).not.toContain(token);
    expect(browser.recorded.dialogs).toEqual([]);
    expect(browser.recorded.errors).toEqual([]);
  });

});

describe('the admin in the portal', () => {
  it('signs the tenant out: the token is gone from the tab', async () => {
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
    expect(await page.evaluate('localStorage.length + document.cookie.length')).toBe(0);
    await page.click('header button:text("Sign out")');
    await waitForText('h1', /Sign in/);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('signs in with the admin token and sees every tenant and pool', async () => {
    await page.fill('input[type=password]', platform.adminToken);
    await page.keyboard.press('Enter');
    await waitForText('h1', /^Tenants$/);
    for (const t of [A, B, C]) await waitForText(`tbody tr[data-key="${t}"]`, new RegExp(`^${t}\\s`));
    await waitForText('header .who', /^Admin$/);
    await screenshot(page, 'admin-tenants');
    await page.click('nav a:text("Address space")');
    for (const p of pools) await waitForText(`tbody tr[data-key="${p.name}"]`, new RegExp(`^${p.name}\\s+${p.kind}`));
    expect(await page.locator('tbody tr[data-key="projects"] meter').getAttribute('value')).toMatch(/^\d+$/);
    await screenshot(page, 'admin-pools');
  });

  it('shows the tenants’ display names as text', async () => {
    for (const [i, payload] of payloads.entries()) expect((await platform.call('POST', '/admin/tenants', { name: `ptx${i}${suffix}`, displayName: payload })).status).toBe(201);
    await page.click('nav a:text("Tenants")');
    await waitForText('h1', /^Tenants$/);
    for (const [i, payload] of payloads.entries()) expect(await waitForText(`tbody tr[data-key="ptx${i}${suffix}"] td`, /./)).toBe(payload);
    await expectNoInjection();
  });
});
