import { isApiError, type Fetched } from '../api';
import { fill, h, updateRows } from '../dom';
import { Poller } from '../poll';
import { apiPath, hrefOf } from '../routes';
import type { Exposure, Import, Mapping, Peering, ProjectDetail, ProjectRoutes, TenantPrivateNetworkList, VCluster } from '../types';
import { actionButton, conditionList, confirmButton, emptyRow, field, heading, phaseOf, progress, showProblem, table, type Ctx, type View } from '../ui';
import { reasonInWords } from '../words';

const portsText = (ports: ReadonlyArray<{ port: number; protocol: string }>) => ports.map((p) => `${p.port}/${p.protocol}`).join(', ');
const readyText = (s: { ready: boolean; reason: string; message: string }) => `${s.ready ? 'Ready' : 'Not ready'}: ${reasonInWords(s.reason)}${s.message ? ` — ${s.message}` : ''}`;

/** One project: its status, virtual cluster, mappings, exposures and grants both ways, routes and peerings; all live. */
export function projectView(ctx: Ctx, name: string): View {
  const title = heading(`Project ${name}`);
  const base = apiPath`/v1/projects/${name}`;
  const sections: Array<() => Promise<void>> = [];
  /** The caller's tenant, as the project shows it: which side of a peering is this project. */
  let tenant = ctx.session.tenant;
  const poller = new Poller(async () => {
    // The project first (it says whether it exists, and whose it is), then each section on its
    // own: one failing leaves the others current.
    const [first, ...rest] = sections;
    await first!();
    const results = await Promise.allSettled(rest.map((s) => s()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }, ctx.fail);
  const refresh = () => poller.tick();

  // --- status ------------------------------------------------------------------------------------
  const summary = h('div', { class: 'summary', 'aria-busy': 'true' });
  let gone = false;
  sections.push(async () => {
    let fetched: Fetched<ProjectDetail>;
    try {
      fetched = await ctx.api.get<ProjectDetail>(base);
    } catch (e) {
      if (!isApiError(e, 404)) throw e;
      gone = true;
      fill(summary, h('p', null, `There is no project named “${name}” (or it has just been deleted). `, h('a', { href: hrefOf({ view: 'projects' }) }, 'All projects')));
      summary.removeAttribute('aria-busy');
      return;
    }
    if (!fetched.changed) return;
    const p = fetched.body;
    tenant = p.tenant;
    ctx.learnTenant(p.tenant);
    fill(
      summary,
      h(
        'dl',
        null,
        h('dt', null, 'Phase'),
        h('dd', null, phaseOf(p)),
        h('dt', null, 'CIDR'),
        h('dd', { class: 'mono' }, p.status.cidr ?? p.spec.cidr ?? (p.spec.prefixLength !== undefined ? `a /${p.spec.prefixLength} (not yet allocated)` : 'not yet allocated')),
        h('dt', null, 'Egress'),
        h('dd', null, h('span', { class: 'mono' }, p.status.egressIp ?? 'not yet allocated'), ` (${p.spec.egressNetworkType})`),
        h('dt', null, 'Host namespace'),
        h('dd', { class: 'mono' }, p.status.namespace ?? 'not yet created'),
        h('dt', null, 'Created'),
        h('dd', null, h('time', { datetime: p.createdAt }, new Date(p.createdAt).toLocaleString())),
        h('dt', null, 'Conditions'),
        h('dd', null, conditionList(p.status.conditions)),
      ),
      p.deletionRequestedAt === undefined
        ? confirmButton('Delete project', `Delete project ${p.name}?`, 'Deleting…', async () => {
            await ctx.api.send('DELETE', base);
            ctx.announce(`Project ${p.name}: deletion requested.`);
            await refresh();
          }, ctx)
        : null,
    );
    summary.removeAttribute('aria-busy');
  });
  /** The later sections ask about a project only while it exists. */
  const whileExists = (load: () => Promise<void>) => async () => {
    if (!gone) await load();
  };

  // --- virtual cluster ---------------------------------------------------------------------------
  const vcluster = h('div', { 'aria-busy': 'true' });
  sections.push(
    whileExists(async () => {
      let fetched: Fetched<VCluster> | undefined;
      try {
        fetched = await ctx.api.get<VCluster>(`${base}/vcluster`);
      } catch (e) {
        if (!isApiError(e, 404)) throw e;
      }
      vcluster.removeAttribute('aria-busy');
      if (!fetched) return fill(vcluster, h('p', null, 'No virtual cluster is registered for this project.'));
      if (!fetched.changed) return;
      fill(vcluster, vclusterDetails(fetched.body));
    }),
  );

  // --- mappings ----------------------------------------------------------------------------------
  const mappings = table('Service mappings', ['Direction', 'From', 'To', 'Status'], { hideCaption: true });
  sections.push(
    whileExists(async () => {
      const { body, changed } = await ctx.api.list<Mapping>(`${base}/mappings`);
      if (!changed) return;
      updateRows(
        mappings.body,
        body.length
          ? body.map((m) => ({
              key: m.id,
              signature: JSON.stringify(m),
              render: () =>
                h(
                  'tr',
                  null,
                  h('td', null, m.direction === 'fromHost' ? 'host → virtual' : 'virtual → host'),
                  h('td', { class: 'mono' }, m.from),
                  h('td', { class: 'mono' }, m.to),
                  h('td', null, readyText(m.status)),
                ),
            }))
          : [emptyRow(4, 'No mappings.')],
      );
    }),
  );

  // --- exposures and the grants given ------------------------------------------------------------
  const exposures = h('div', { class: 'exposures' });
  sections.push(
    whileExists(async () => {
      const { body, changed } = await ctx.api.list<Exposure>(`${base}/exposures`);
      if (!changed) return;
      updateRows(
        exposures,
        body.length
          ? body.map((x) => ({ key: x.name, signature: JSON.stringify(x), render: () => exposureCard(ctx, base, x, refresh) }))
          : [{ key: '__empty', signature: '', render: () => h('p', null, 'This project exposes nothing.') }],
      );
    }),
  );

  // --- imports: the grants received --------------------------------------------------------------
  const imports = table('Grants received', ['From', 'Exposure', 'State', 'Entry', 'Ports', 'Address', 'Status', ''], { hideCaption: true });
  sections.push(
    whileExists(async () => {
      const { body, changed } = await ctx.api.list<Import>(`${base}/imports`);
      if (!changed) return;
      updateRows(
        imports.body,
        body.length ? body.map((i) => ({ key: `${i.exporter}/${i.exposure}`, signature: JSON.stringify(i), render: () => importRow(ctx, base, i, refresh) })) : [emptyRow(8, 'Nothing is offered to this project.')],
      );
    }),
  );

  // --- routes, attachments, peerings -------------------------------------------------------------
  const routes = table('Static routes', ['Destination', 'Next hop']);
  const attachments = table('Attached private networks', ['Network', 'Router address']);
  sections.push(
    whileExists(async () => {
      const { body, changed } = await ctx.api.get<ProjectRoutes>(`${base}/routes`);
      if (!changed) return;
      updateRows(
        routes.body,
        body.routes.length
          ? body.routes.map((r) => ({ key: r.destination, signature: JSON.stringify(r), render: () => h('tr', null, h('td', { class: 'mono' }, r.destination), h('td', { class: 'mono' }, r.nexthop)) }))
          : [emptyRow(2, 'No static routes.')],
      );
      updateRows(
        attachments.body,
        body.attachments.length
          ? body.attachments.map((a) => ({ key: a.network, signature: JSON.stringify(a), render: () => h('tr', null, h('td', null, a.network), h('td', { class: 'mono' }, a.address)) }))
          : [emptyRow(2, 'No private network attached.')],
      );
    }),
  );
  const networks = table('Private networks shared with your tenant', ['Network', 'CIDR', 'Gateway', 'Description']);
  sections.push(
    whileExists(async () => {
      const { body, changed } = await ctx.api.get<TenantPrivateNetworkList>('/v1/private-networks');
      if (!changed) return;
      updateRows(
        networks.body,
        body.items.length
          ? body.items.map((n) => ({
              key: n.name,
              signature: JSON.stringify(n),
              render: () => h('tr', null, h('td', null, n.name), h('td', { class: 'mono' }, n.cidr), h('td', { class: 'mono' }, n.gateway), h('td', null, n.description ?? '')),
            }))
          : [emptyRow(4, 'None.')],
      );
    }),
  );
  const peerings = table('Peerings', ['Peer', 'Role', 'State', 'Link', 'Conditions', ''], { hideCaption: true });
  sections.push(
    whileExists(async () => {
      const { body, changed } = await ctx.api.list<Peering>('/v1/peerings');
      if (!changed) return;
      const self = { tenant: tenant ?? '', project: name };
      const mine = body.filter((p) => isSide(p.requester, self) || isSide(p.accepter, self));
      updateRows(
        peerings.body,
        mine.length ? mine.map((p) => ({ key: p.id, signature: JSON.stringify(p), render: () => peeringRow(ctx, self, p, refresh) })) : [emptyRow(6, 'No peerings.')],
      );
    }),
  );

  const section = (id: string, text: string, ...content: Node[]) => h('section', { 'aria-labelledby': id }, h('h2', { id }, text), ...content);
  const el = h(
    'div',
    { class: 'view' },
    h('p', { class: 'crumbs' }, h('a', { href: hrefOf({ view: 'projects' }) }, 'Projects'), ' / ', name),
    title,
    summary,
    section('vcluster-title', 'Virtual cluster', vcluster),
    section('mappings-title', 'Service mappings', mappings.el),
    section('exposures-title', 'Exposures and grants given', exposures),
    section('imports-title', 'Grants received', imports.el),
    section('network-title', 'Routes and private networks', routes.el, attachments.el, networks.el),
    section('peerings-title', 'Peerings', peerings.el),
  );
  void poller.tick();
  return { el, heading: title, stop: () => poller.stop() };
}

type Side = { tenant: string; project: string };
const isSide = (side: Side, self: Side) => side.project === self.project && side.tenant === self.tenant;

function vclusterDetails(v: VCluster): Node {
  const s = v.status;
  const issues = (kind: string, list: NonNullable<NonNullable<VCluster['status']>['refused']>) => {
    const t = table(kind, ['Kind', 'Namespace', 'Name', 'Reason', 'Annotations']);
    for (const i of list) {
      t.body.append(h('tr', null, h('td', null, i.kind), h('td', null, i.namespace), h('td', null, i.name), h('td', null, reasonInWords(i.reason)), h('td', { class: 'mono' }, (i.keys ?? []).join(', '))));
    }
    return t.el;
  };
  return h(
    'div',
    null,
    h(
      'dl',
      null,
      h('dt', null, 'Name'),
      h('dd', null, v.name),
      h('dt', null, 'Registered'),
      h('dd', null, h('time', { datetime: v.registeredAt }, new Date(v.registeredAt).toLocaleString()), v.kubeconfig ? ' (kubeconfig stored sealed)' : v.secretRef ? ` (from Secret ${v.secretRef.name})` : ''),
      h('dt', null, 'Sync'),
      h('dd', null, s ? `${s.phase}: ${reasonInWords(s.reason)}${s.message ? ` — ${s.message}` : ''}` : progress('Waiting for a syncer…')),
      s?.lastSyncAt ? [h('dt', null, 'Last full sync'), h('dd', null, h('time', { datetime: s.lastSyncAt }, new Date(s.lastSyncAt).toLocaleString()))] : null,
      h('dt', null, 'Sync conflicts'),
      h('dd', null, s ? String(s.conflicts) : '—'),
    ),
    s?.refused?.length ? issues(`Objects refused (${s.conflicts})`, s.refused) : null,
    s?.dropped?.length ? issues(`Objects synced without some annotations (${s.droppedCount ?? s.dropped.length})`, s.dropped) : null,
  );
}

function exposureCard(ctx: Ctx, base: string, x: Exposure, refresh: () => Promise<void>): HTMLElement {
  const path = `${base}/exposures/${encodeURIComponent(x.name)}`;
  const grants = table(`Grants of ${x.name}`, ['Project', 'State', 'Granted', '']);
  updateRows(
    grants.body,
    x.grants.length
      ? x.grants.map((g) => ({
          key: g.project,
          signature: JSON.stringify(g),
          render: () => {
            const [tenant, project] = g.project.split('/') as [string, string];
            return h(
              'tr',
              null,
              h('td', null, g.project),
              h('td', null, g.state === 'pending' ? 'pending: waiting for its acceptance' : 'accepted'),
              h('td', null, h('time', { datetime: g.grantedAt }, new Date(g.grantedAt).toLocaleString())),
              h(
                'td',
                null,
                confirmButton('Revoke', `Revoke ${g.project}’s access?`, 'Revoking…', async () => {
                  await ctx.api.send('DELETE', `${path}/grants/${encodeURIComponent(tenant)}/${encodeURIComponent(project)}`);
                  ctx.announce(`Access of ${g.project} to ${x.name} revoked.`);
                  await refresh();
                }, ctx),
              ),
            );
          },
        }))
      : [emptyRow(4, 'Not granted to any project.')],
  );
  const target = field('project', 'Grant access to', h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'project or tenant/project' }), 'A project of yours (accepted at once) or another tenant’s, as tenant/project (it must accept).');
  const alert = h('p', { class: 'form-error', role: 'alert', tabindex: -1, hidden: true });
  const submit = h('button', { type: 'submit' }, 'Grant');
  const form: HTMLFormElement = h(
    'form',
    {
      novalidate: true,
      class: 'inline',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        submit.disabled = true;
        submit.setAttribute('aria-busy', 'true');
        try {
          await ctx.api.send('POST', `${path}/grants`, { project: target.control.value.trim() }, { 'idempotency-key': crypto.randomUUID() });
          ctx.announce(`${target.control.value.trim()} granted access to ${x.name}.`);
          await refresh();
        } catch (e) {
          showProblem(e, [target], alert, (code) => (['self-grant', 'unknown-reference', 'project-deleting'].includes(code) ? 'project' : undefined));
        } finally {
          submit.disabled = false;
          submit.removeAttribute('aria-busy');
        }
      },
    },
    alert,
    target.el,
    submit,
  );
  const s = x.status;
  return h(
    'article',
    { class: 'card' },
    h('h3', null, x.name),
    h(
      'dl',
      null,
      h('dt', null, 'Service'),
      h('dd', { class: 'mono' }, x.service),
      h('dt', null, 'Ports'),
      h('dd', null, portsText(x.ports)),
      h('dt', null, 'Address'),
      h('dd', { class: 'mono' }, s.address ?? s.eip ?? 'not yet assigned', ` (${x.pool})`),
      h('dt', null, 'Status'),
      h('dd', null, s.ready ? readyText(s) : progress(readyText(s))),
    ),
    grants.el,
    form,
  );
}

function importRow(ctx: Ctx, base: string, i: Import, refresh: () => Promise<void>): HTMLTableRowElement {
  const [tenant, project] = i.exporter.split('/') as [string, string];
  const path = `${base}/imports/${encodeURIComponent(tenant)}/${encodeURIComponent(project)}/${encodeURIComponent(i.exposure)}`;
  return h(
    'tr',
    null,
    h('td', null, i.exporter),
    h('td', null, i.exposure),
    h('td', null, i.state === 'pending' ? 'offered' : 'accepted'),
    h('td', { class: 'mono' }, i.entryName),
    h('td', null, portsText(i.ports)),
    h('td', { class: 'mono' }, i.address ?? ''),
    h('td', null, i.state === 'pending' ? 'Waiting for your acceptance' : i.ready ? readyText(i) : progress(readyText(i))),
    h(
      'td',
      null,
      i.state === 'pending'
        ? actionButton('Accept', 'Accepting…', async () => {
            await ctx.api.send('POST', `${path}/accept`);
            ctx.announce(`Accepted ${i.exposure} from ${i.exporter}.`);
            await refresh();
          }, ctx)
        : null,
      ' ',
      confirmButton(i.state === 'pending' ? 'Decline' : 'Leave', i.state === 'pending' ? `Decline ${i.exposure} from ${i.exporter}?` : `Stop using ${i.exposure} from ${i.exporter}?`, 'Declining…', async () => {
        await ctx.api.send('DELETE', path);
        ctx.announce(`Declined ${i.exposure} from ${i.exporter}.`);
        await refresh();
      }, ctx),
    ),
  );
}

function peeringRow(ctx: Ctx, self: Side, p: Peering, refresh: () => Promise<void>): HTMLTableRowElement {
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
