import { h } from '../../dom';
import type { ProjectRoutes, TenantPrivateNetworkList } from '../../types';
import { table, whenChanged } from '../../ui';
import { section, settle, type ProjectPage, type Section } from './page';

/** The project's static routes and attached private networks, and the private networks shared with its tenant. */
export function networkSection({ ctx, base }: ProjectPage): Section {
  const routes = table('Static routes', ['Destination', 'Next hop']);
  const attachments = table('Attached private networks', ['Network', 'Router address']);
  const networks = table('Private networks shared with your tenant', ['Network', 'CIDR', 'Gateway', 'Description']);
  const loadRoutes = whenChanged(
    () => ctx.api.get<ProjectRoutes>(`${base}/routes`),
    (body) => {
      routes.show(body.routes, (r) => r.destination, (r) => h('tr', null, h('td', { class: 'mono' }, r.destination), h('td', { class: 'mono' }, r.nexthop)), 'No static routes.');
      attachments.show(body.attachments, (a) => a.network, (a) => h('tr', null, h('td', null, a.network), h('td', { class: 'mono' }, a.address)), 'No private network attached.');
    },
  );
  const loadNetworks = whenChanged(
    () => ctx.api.get<TenantPrivateNetworkList>('/v1/private-networks'),
    (body) =>
      networks.show(
        body.items,
        (n) => n.name,
        (n) => h('tr', null, h('td', null, n.name), h('td', { class: 'mono' }, n.cidr), h('td', { class: 'mono' }, n.gateway), h('td', null, n.description ?? '')),
        'None.',
      ),
  );
  return {
    el: section('network-title', 'Routes and private networks', routes.el, attachments.el, networks.el),
    load: () => settle([loadRoutes, loadNetworks]),
  };
}
