import { unlessAbsent } from '../../api';
import { fill, h } from '../../dom';
import type { VCluster } from '../../types';
import { details, progress, table, when } from '../../ui';
import { reasonInWords } from '../../words';
import { section, type ProjectPage, type Section } from './page';

/** The project's virtual cluster: its registration, its syncer's state and what it refused. */
export function vclusterSection({ ctx, base }: ProjectPage): Section {
  const box = h('div', { 'aria-busy': 'true' });
  const load = async (): Promise<void> => {
    const fetched = await unlessAbsent(ctx.api.get<VCluster>(`${base}/vcluster`));
    box.removeAttribute('aria-busy');
    if (!fetched) return fill(box, h('p', null, 'No virtual cluster is registered for this project.'));
    if (fetched.changed) fill(box, vclusterDetails(fetched.body));
  };
  return { el: section('vcluster-title', 'Virtual cluster', box), load };
}

type Issues = NonNullable<NonNullable<VCluster['status']>['refused']>;

const issues = (kind: string, list: Issues): HTMLElement => {
  const t = table(kind, ['Kind', 'Namespace', 'Name', 'Reason', 'Annotations']);
  for (const i of list) {
    t.body.append(h('tr', null, h('td', null, i.kind), h('td', null, i.namespace), h('td', null, i.name), h('td', null, reasonInWords(i.reason)), h('td', { class: 'mono' }, (i.keys ?? []).join(', '))));
  }
  return t.el;
};

function vclusterDetails(v: VCluster): Node {
  const s = v.status;
  return h(
    'div',
    null,
    details([
      ['Name', v.name],
      ['Registered', [when(v.registeredAt), v.kubeconfig ? ' (kubeconfig stored sealed)' : v.secretRef ? ` (from Secret ${v.secretRef.name})` : '']],
      ['Sync', s ? `${s.phase}: ${reasonInWords(s.reason)}${s.message ? ` — ${s.message}` : ''}` : progress('Waiting for a syncer…')],
      s?.lastSyncAt ? ['Last full sync', when(s.lastSyncAt)] : null,
      ['Sync conflicts', s ? String(s.conflicts) : '—'],
    ]),
    s?.refused?.length ? issues(`Objects refused (${s.conflicts})`, s.refused) : null,
    s?.dropped?.length ? issues(`Objects synced without some annotations (${s.droppedCount ?? s.dropped.length})`, s.dropped) : null,
  );
}
