import { h, rowsOf, updateRows } from '../../dom';
import type { Exposure } from '../../types';
import { confirmButton, details, field, formAlert, progress, showProblem, table, when, whenChanged, whileBusy } from '../../ui';
import { portsText, projectPath, readyText, section, type ProjectPage, type Section } from './page';

/** What the project exposes, each with the grants given and a form that grants one more. */
export function exposuresSection(page: ProjectPage): Section {
  const { ctx, base } = page;
  const exposures = h('div', { class: 'exposures' });
  const empty = { key: '__empty', signature: '', render: () => h('p', null, 'This project exposes nothing.') };
  return {
    el: section('exposures-title', 'Exposures and grants given', exposures),
    load: whenChanged(
      () => ctx.api.list<Exposure>(`${base}/exposures`),
      (body) => updateRows(exposures, rowsOf(body, (x) => x.name, (x) => exposureCard(page, x), empty)),
    ),
  };
}

function exposureCard({ ctx, base, refresh }: ProjectPage, x: Exposure): HTMLElement {
  const path = `${base}/exposures/${encodeURIComponent(x.name)}`;
  const grants = table(`Grants of ${x.name}`, ['Project', 'State', 'Granted', '']);
  grants.show(
    x.grants,
    (g) => g.project,
    (g) =>
      h(
        'tr',
        null,
        h('td', null, g.project),
        h('td', null, g.state === 'pending' ? 'pending: waiting for its acceptance' : 'accepted'),
        h('td', null, when(g.grantedAt)),
        h(
          'td',
          null,
          confirmButton('Revoke', `Revoke ${g.project}’s access?`, 'Revoking…', async () => {
            await ctx.api.send('DELETE', `${path}/grants/${projectPath(g.project)}`);
            ctx.announce(`Access of ${g.project} to ${x.name} revoked.`);
            await refresh();
          }, ctx),
        ),
      ),
    'Not granted to any project.',
  );
  const target = field('project', 'Grant access to', h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'project or tenant/project' }), 'A project of yours (accepted at once) or another tenant’s, as tenant/project (it must accept).');
  const alert = formAlert();
  const submit = h('button', { type: 'submit' }, 'Grant');
  const grant = async (): Promise<void> => {
    try {
      await ctx.api.send('POST', `${path}/grants`, { project: target.control.value.trim() }, { 'idempotency-key': crypto.randomUUID() });
      ctx.announce(`${target.control.value.trim()} granted access to ${x.name}.`);
      await refresh();
    } catch (e) {
      showProblem(e, [target], alert, (code) => (['self-grant', 'unknown-reference', 'project-deleting'].includes(code) ? 'project' : undefined));
    }
  };
  const form = h(
    'form',
    {
      novalidate: true,
      class: 'inline',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void whileBusy(submit, undefined, grant);
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
    details([
      ['Service', x.service, 'mono'],
      ['Ports', portsText(x.ports)],
      ['Address', [s.address ?? s.eip ?? 'not yet assigned', ` (${x.pool})`], 'mono'],
      ['Status', s.ready ? readyText(s) : progress(readyText(s))],
    ]),
    grants.el,
    form,
  );
}
