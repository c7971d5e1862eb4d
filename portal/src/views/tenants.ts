import { h, updateRows } from '../dom';
import { Poller } from '../poll';
import type { Tenant } from '../types';
import { emptyRow, heading, table, type Ctx, type View } from '../ui';

/** The admin's list of tenants, live. Display names are the tenants' own words: text only. */
export function tenantsView(ctx: Ctx): View {
  const title = heading('Tenants');
  const list = table('Tenants', ['Name', 'Display name', 'Max projects', 'Project pool', 'Host name suffixes', 'Created']);
  const poller = new Poller(async () => {
    const { body, changed } = await ctx.api.list<Tenant>('/admin/tenants');
    if (!changed) return;
    updateRows(
      list.body,
      body.length
        ? body.map((t) => ({
            key: t.name,
            signature: JSON.stringify(t),
            render: () =>
              h(
                'tr',
                null,
                h('th', { scope: 'row' }, t.name),
                h('td', null, t.displayName ?? ''),
                h('td', { class: 'num' }, String(t.quotas.maxProjects)),
                h('td', null, t.projectPool ?? 'the default'),
                h('td', { class: 'mono' }, t.hostnameSuffixes.join(', ') || 'any'),
                h('td', null, h('time', { datetime: t.createdAt }, new Date(t.createdAt).toLocaleString())),
              ),
          }))
        : [emptyRow(6, 'No tenants.')],
    );
    list.el.removeAttribute('aria-busy');
  }, ctx.fail);
  list.el.setAttribute('aria-busy', 'true');
  void poller.tick();
  return { el: h('div', { class: 'view' }, title, list.el), heading: title, stop: () => poller.stop() };
}
