import { h } from '../../dom';
import { apiPath } from '../../routes';
import type { Peering } from '../../types';
import { actionButton, conditionList, progress, table, whenChanged } from '../../ui';
import { section, type ProjectPage, type Section } from './page';

type Side = { tenant: string; project: string };
const isSide = (side: Side, self: Side): boolean => side.project === self.project && side.tenant === self.tenant;

/** The peerings this project is a side of, either way; the accepter's side can accept. */
export function peeringsSection(page: ProjectPage): Section {
  const peerings = table('Peerings', ['Peer', 'Role', 'State', 'Link', 'Conditions', ''], { hideCaption: true });
  return {
    el: section('peerings-title', 'Peerings', peerings.el),
    load: whenChanged(
      () => page.ctx.api.list<Peering>('/v1/peerings'),
      (body) => {
        const self = { tenant: page.tenant ?? '', project: page.name };
        const mine = body.filter((p) => isSide(p.requester, self) || isSide(p.accepter, self));
        peerings.show(mine, (p) => p.id, (p) => peeringRow(page, self, p), 'No peerings.');
      },
    ),
  };
}

function peeringRow({ ctx, refresh }: ProjectPage, self: Side, p: Peering): HTMLTableRowElement {
  const requesting = isSide(p.requester, self);
  const peer = requesting ? p.accepter : p.requester;
  const busy = p.state === 'Programming' || p.state === 'Deleting';
  return h(
    'tr',
    null,
    h('td', null, `${peer.tenant}/${peer.project}`),
    h('td', null, requesting ? 'requested' : 'asked to accept'),
    h('td', null, busy ? progress(p.state) : p.state === 'PendingAcceptance' ? 'waiting for acceptance' : p.state),
    h('td', { class: 'mono' }, p.link ? `${p.link.cidr} (${requesting ? p.link.requester : p.link.accepter})` : ''),
    h('td', null, conditionList(p.conditions)),
    h(
      'td',
      null,
      !requesting && p.state === 'PendingAcceptance'
        ? actionButton('Accept', 'Accepting…', async () => {
            await ctx.api.send('POST', apiPath`/v1/peerings/${p.id}/accept`);
            ctx.announce(`Peering with ${peer.tenant}/${peer.project} accepted.`);
            await refresh();
          }, ctx)
        : null,
    ),
  );
}
