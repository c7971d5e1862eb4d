import { h } from '../dom';
import { Poller } from '../poll';
import type { Tenant } from '../types';
import { heading, table, when, whenChanged, type Ctx, type View } from '../ui';

/** The admin's list of tenants, live. Display names are the tenants' own words: text only. */
export function tenantsView(ctx: Ctx): View {
  const title = heading('Tenants');
  const list = table('Tenants', ['Name', 'Display name', 'Max projects', 'Project pool', 'Host name suffixes', 'Created'], { busy: true });
  const row = (t: Tenant): HTMLTableRowElement =>
    h(
      'tr',
      null,
      h('th', { scope: 'row' }, t.name),
      h('td', null, t.displayName ?? ''),
      h('td', { class: 'num' }, String(t.quotas.maxProjects)),
      h('td', null, t.projectPool ?? 'the default'),
      h('td', { class: 'mono' }, t.hostnameSuffixes.join(', ') || 'any'),
      h('td', null, when(t.createdAt)),
    );
  const poller = new Poller(
    whenChanged(
      () => ctx.api.list<Tenant>('/admin/tenants'),
      (body) => list.show(body, (t) => t.name, row, 'No tenants.'),
    ),
    ctx.fail,
  );
  void poller.tick();
  return { el: h('div', { class: 'view' }, title, list.el), heading: title, stop: () => poller.stop() };
}
