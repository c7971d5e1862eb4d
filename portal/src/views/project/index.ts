import { h } from '../../dom';
import { Poller } from '../../poll';
import { apiPath, hrefOf } from '../../routes';
import { heading, type Ctx, type View } from '../../ui';
import { exposuresSection } from './exposures';
import { importsSection } from './imports';
import { mappingsSection } from './mappings';
import { networkSection } from './network';
import { settle, type ProjectPage } from './page';
import { peeringsSection } from './peerings';
import { statusSummary } from './status';
import { vclusterSection } from './vcluster';

/** One project: its status, virtual cluster, mappings, exposures and grants both ways, routes and peerings; all live. */
export function projectView(ctx: Ctx, name: string): View {
  const title = heading(`Project ${name}`);
  const page: ProjectPage = { ctx, name, base: apiPath`/v1/projects/${name}`, tenant: ctx.session.tenant, refresh: () => poller.tick() };
  const summary = statusSummary(page);
  const sections = [vclusterSection, mappingsSection, exposuresSection, importsSection, networkSection, peeringsSection].map((s) => s(page));
  let gone = false;
  const poller = new Poller(async () => {
    // The project first (it says whether it exists, and whose it is), then each section on its
    // own: one failing leaves the others current. The sections ask only while it exists.
    if (!(await summary.load())) gone = true;
    if (!gone) await settle(sections.map((s) => s.load));
  }, ctx.fail);
  const el = h(
    'div',
    { class: 'view' },
    h('p', { class: 'crumbs' }, h('a', { href: hrefOf({ view: 'projects' }) }, 'Projects'), ' / ', name),
    title,
    summary.el,
    sections.map((s) => s.el),
  );
  void poller.tick();
  return { el, heading: title, stop: () => poller.stop() };
}
