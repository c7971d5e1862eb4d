import { isApiError } from '../api';
import { fill, h, updateRows } from '../dom';
import { blocksIn, cellLook, describeCell, percent, sharesOf, type Category } from '../map/cells';
import { cellPrefixOf, cellAt, drawMap, neighbour } from '../map/canvas';
import { cellsFor, formatPrefix, parsePrefix, zoomTarget, type Prefix } from '../map/cidr';
import { colours, css, hatch, shade } from '../map/palette';
import { Poller } from '../poll';
import { apiPath, hrefOf } from '../routes';
import type { PoolList, PoolMap, TenantPool } from '../types';
import { heading, table, whenChanged, type Ctx, type View } from '../ui';

/** A pool as the lists show it: the tenant's list as it comes, the admin's (spec under `pool`) flattened. */
type PoolItem = Pick<TenantPool, 'name' | 'kind' | 'prefixes' | 'ranges'> & { utilisation: Omit<TenantPool['utilisation'], 'own'> & { own?: string } };
type Listed = TenantPool | PoolList['items'][number];
const poolItem = (l: Listed): PoolItem => ('pool' in l ? { ...l.pool, utilisation: l.utilisation } : l);

/** `used` of `total` as thousandths (bigint-safe: IPv6 pools are large). */
const share = (part: string, whole: string): number => {
  const w = BigInt(whole);
  return w === 0n ? 0 : Number((BigInt(part) * 1000n) / w);
};
const count = (n: string): string => (n.length > 15 ? `${n.slice(0, 3)}… (${n.length} digits)` : BigInt(n).toLocaleString('en'));

/** The pools the caller may look at, with their utilisation and a link to each one's map. */
export function poolsView(ctx: Ctx): View {
  const title = heading('Address space');
  const admin = ctx.session.role === 'admin';
  const list = table('Address pools', ['Pool', 'Kind', 'Space', 'Used', 'Reserved', 'Free'], { busy: true });
  const row = (p: PoolItem): HTMLTableRowElement => {
    const u = p.utilisation;
    const used = share(u.used, u.total);
    return h(
      'tr',
      null,
      h('th', { scope: 'row' }, h('a', { href: hrefOf({ view: 'pool', name: p.name }) }, p.name)),
      h('td', null, p.kind),
      h('td', { class: 'mono' }, [...p.prefixes, ...p.ranges.map((r) => `${r.start}–${r.end}`)].join(', ')),
      h(
        'td',
        null,
        h('meter', { min: 0, max: 1000, value: used, 'aria-label': `${p.name} used` }),
        ` ${percent(used)} (${count(u.used)} of ${count(u.total)})`,
        u.own !== undefined ? `, ${percent(share(u.own, u.total))} yours (${count(u.own)})` : '',
      ),
      h('td', null, percent(share(u.reserved, u.total))),
      h('td', null, percent(share(u.free, u.total))),
    );
  };
  const poller = new Poller(
    whenChanged(
      () => ctx.api.get<{ items: Listed[] }>(admin ? '/admin/pools' : '/v1/pools'),
      (body) => list.show(body.items.map(poolItem), (p) => p.name, row, 'No pools.'),
    ),
    ctx.fail,
  );
  void poller.tick();
  const el = h(
    'div',
    { class: 'view' },
    title,
    h('p', null, admin ? 'Every address pool and how much of it is allocated; open one for its map.' : 'The pools your projects take addresses from; open one to see your blocks in it.'),
    list.el,
  );
  return { el, heading: title, stop: () => poller.stop() };
}

const legendText: Record<Category, [string, string]> = {
  own: ['Yours', 'Used by others'],
  others: ['Used by others', 'Allocated'],
  reserved: ['Reserved', 'Reserved'],
  free: ['Free', 'Free'],
  outside: ['Outside the pool', 'Outside the pool'],
};

/**
 * One pool's address-space map: a canvas of up to 64 × 64 cells on a Hilbert curve, zoomable from
 * the pool down to a /24 (click or Enter: 16 times closer; Escape or the breadcrumb: back out),
 * operable with the arrow keys, a live region saying what the highlighted cell holds, and the
 * same content as text tables beside it.
 */
export function poolView(ctx: Ctx, name: string): View {
  const admin = ctx.session.role === 'admin';
  const title = heading(`Pool ${name}`);
  const base = admin ? apiPath`/admin/pools/${name}/map` : apiPath`/v1/pools/${name}/map`;
  /** The windows zoomed into, the last one shown; empty: the whole pool (the API's default window). */
  const trail: Prefix[] = [];
  /** The whole pool's window, once the API has said it. */
  let root: string | undefined;
  let map: PoolMap | undefined;
  let focus = 0;

  const canvas = h('canvas', {
    class: 'map',
    tabindex: 0,
    // Its own keyboard (arrows, Enter, Escape): screen readers pass the keys through.
    role: 'application',
    'aria-roledescription': 'address-space map',
    'aria-describedby': 'map-help',
  });
  const live = h('p', { class: 'map-status', 'aria-live': 'polite', id: 'map-status' });
  const crumbs = h('nav', { 'aria-label': 'Zoom levels', class: 'crumbs' });
  const totals = table('Totals in this window', ['', 'Addresses', 'Share']);
  const blocks = table('Blocks in this window', admin ? ['CIDR', 'Tenant', 'Project', 'Purpose'] : ['CIDR', 'Project', 'Purpose']);
  const truncated = h('p', { class: 'hint', hidden: true });
  const figure = h('div', { class: 'map-box', 'aria-busy': 'true' }, canvas);

  const windowOf = (): Prefix | undefined => trail.at(-1);
  const targetOf = (m: PoolMap, i: number): Prefix | undefined => {
    const w = parsePrefix(m.window);
    const c = cellPrefixOf(m, i);
    return w && c ? zoomTarget(w, c) : undefined;
  };

  /** Draws the map; `announce`: says the highlighted cell in the live region, after `prefix` (`Zoomed to …`). */
  function redraw(announce: boolean, prefix = ''): void {
    if (!map) return;
    drawMap(canvas, map, focus, targetOf(map, focus));
    const cell = cellPrefixOf(map, focus);
    if (!cell) return;
    const text = describeCell(cell, sharesOf(map, focus), blocksIn(map.blocks, cell), !admin);
    canvas.setAttribute('aria-label', `Map of ${map.window} in pool ${map.pool}, ${map.cells} cells of /${map.cellPrefixLength}. Highlighted: ${text}`);
    if (announce) live.textContent = `${prefix}${text}`;
  }

  function renderText(m: PoolMap): void {
    const size = BigInt(m.totals.size);
    const rows: Array<[string, string | undefined]> = admin
      ? [
          ['Allocated', m.totals.allocated],
          ['Reserved', m.totals.reserved],
          ['Free', m.totals.free],
        ]
      : [
          ['Yours', m.totals.own],
          ['Used by others', m.totals.own !== undefined ? String(BigInt(m.totals.allocated) - BigInt(m.totals.own)) : m.totals.allocated],
          ['Reserved', m.totals.reserved],
          ['Free', m.totals.free],
        ];
    const inPool = BigInt(m.totals.allocated) + BigInt(m.totals.reserved) + BigInt(m.totals.free);
    rows.push(['Outside the pool', String(size - inPool)], ['Window', m.totals.size]);
    updateRows(
      totals.body,
      rows.map(([label, value]) => ({
        key: label,
        signature: String(value),
        render: () => h('tr', null, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, value === undefined ? '—' : count(value)), h('td', { class: 'num' }, value === undefined || size === 0n ? '' : percent(share(value, m.totals.size)))),
      })),
    );
    blocks.show(
      m.blocks,
      (b) => b.cidr,
      (b) => h('tr', null, h('td', { class: 'mono' }, b.cidr), admin ? h('td', null, b.tenant ?? '') : null, h('td', null, b.project ?? ''), h('td', null, b.purpose ?? '')),
      admin ? 'No allocation in this window.' : 'None of your blocks is in this window.',
    );
    truncated.hidden = !m.truncated;
    truncated.textContent = m.truncated ? `Only the first ${m.blocks.length} blocks are listed (largest first); zoom in to see the others.` : '';
  }

  function renderCrumbs(): void {
    const whole = `Whole pool${root ? ` (${root})` : ''}`;
    fill(
      crumbs,
      h(
        'ol',
        null,
        h('li', null, trail.length ? h('button', { type: 'button', class: 'link', onclick: () => zoomTo(0) }, whole) : h('span', { 'aria-current': 'location' }, whole)),
        trail.map((w, i) => h('li', null, i === trail.length - 1 ? h('span', { 'aria-current': 'location' }, formatPrefix(w)) : h('button', { type: 'button', class: 'link', onclick: () => zoomTo(i + 1) }, formatPrefix(w)))),
      ),
    );
  }

  let generation = 0;
  /** Set by a zoom: the next map drawn says where it is. */
  let zoomed = false;
  async function load(): Promise<void> {
    const w = windowOf();
    const mine = generation;
    const query = w ? `?cidr=${encodeURIComponent(formatPrefix(w))}&cells=${cellsFor(w)}` : '';
    performance.clearMarks('netbroker:map-request');
    performance.mark('netbroker:map-request');
    let fetched;
    try {
      fetched = await ctx.api.get<PoolMap>(`${base}${query}`);
    } catch (e) {
      if (isApiError(e, 404)) {
        figure.removeAttribute('aria-busy');
        fill(figure, h('p', null, `There is no pool named “${name}”.`));
        poller.stop();
        return;
      }
      throw e;
    }
    if (mine !== generation) return;
    if (!fetched.changed && map) return;
    const first = map === undefined || map.window !== fetched.body.window;
    map = fetched.body;
    if (first) focus = Math.min(focus, map.cells - 1);
    if (trail.length === 0) root = map.window;
    renderCrumbs();
    redraw(zoomed, `Showing ${map.window}, ${map.cells} cells. `);
    zoomed = false;
    figure.removeAttribute('aria-busy');
    performance.mark('netbroker:map-drawn');
    performance.measure('netbroker:map', 'netbroker:map-request', 'netbroker:map-drawn');
    renderText(map);
  }
  const poller = new Poller(load, ctx.fail);

  function zoomTo(depth: number): void {
    trail.length = depth;
    generation++;
    map = undefined;
    focus = 0;
    zoomed = true;
    figure.setAttribute('aria-busy', 'true');
    live.textContent = 'Loading…';
    void poller.tick();
    canvas.focus();
  }

  function zoomIn(): void {
    if (!map) return;
    const target = targetOf(map, focus);
    if (!target) {
      live.textContent = 'This is the closest view (a /24 or smaller window).';
      return;
    }
    trail.push(target);
    zoomTo(trail.length);
  }

  function zoomOut(): void {
    if (trail.length > 0) zoomTo(trail.length - 1);
    else live.textContent = 'This is the whole pool.';
  }

  canvas.addEventListener('keydown', (e: KeyboardEvent) => {
    if (!map) return;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = moves[e.key];
    if (move) focus = neighbour(map.cells, focus, move[0], move[1]);
    else if (e.key === 'Home') focus = 0;
    else if (e.key === 'End') focus = map.cells - 1;
    else if (e.key === 'Enter' || e.key === ' ') return (e.preventDefault(), zoomIn());
    else if (e.key === 'Escape' || e.key === 'Backspace') return (e.preventDefault(), zoomOut());
    else return;
    e.preventDefault();
    redraw(true);
  });
  canvas.addEventListener('click', (e: MouseEvent) => {
    if (!map) return;
    const i = cellAt(canvas, map.cells, e.clientX, e.clientY);
    if (i === undefined) return;
    focus = i;
    zoomIn();
  });
  canvas.addEventListener('mousemove', (e: MouseEvent) => {
    if (!map) return;
    const i = cellAt(canvas, map.cells, e.clientX, e.clientY);
    const cell = i === undefined ? undefined : cellPrefixOf(map, i);
    canvas.title = cell && i !== undefined ? describeCell(cell, sharesOf(map, i), blocksIn(map.blocks, cell), !admin) : '';
  });

  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    (['own', 'others', 'reserved', 'free', 'outside'] as const)
      .filter((c) => !(admin && c === 'own'))
      .map((c) => {
        const swatch = h('span', { class: `swatch ${c}`, 'aria-hidden': 'true' });
        swatch.style.backgroundColor = shade(colours[c], cellLook({ own: 0, others: 0, reserved: 0, free: 0, outside: 0, [c]: 1000 }).intensity);
        if (c === 'outside') swatch.style.borderColor = css(hatch);
        return h('li', null, swatch, legendText[c][admin ? 1 : 0]);
      }),
    h('li', { class: 'hint' }, 'Lighter: less of the cell.'),
  );

  const el = h(
    'div',
    { class: 'view' },
    h('p', { class: 'crumbs' }, h('a', { href: hrefOf({ view: 'pools' }) }, 'Address space'), ' / ', name),
    title,
    crumbs,
    h(
      'div',
      { class: 'map-layout' },
      h(
        'div',
        null,
        figure,
        live,
        h('p', { id: 'map-help', class: 'hint' }, 'Arrow keys move the highlighted cell; Enter (or a click) zooms into the outlined block; Escape zooms out.'),
        legend,
      ),
      h(
        'div',
        { class: 'map-text' },
        totals.el,
        // A long list scrolls in place (focusable, so the keyboard can scroll it too).
        h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Blocks in this window' }, blocks.el),
        truncated,
      ),
    ),
  );
  void poller.tick();
  return { el, heading: title, stop: () => poller.stop() };
}
