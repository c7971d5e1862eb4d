import { h } from '../../dom';
import type { Import } from '../../types';
import { actionButton, confirmButton, progress, table, whenChanged } from '../../ui';
import { portsText, projectPath, readyText, section, type ProjectPage, type Section } from './page';

/** The grants this project received: accept an offer, decline it or leave it. */
export function importsSection(page: ProjectPage): Section {
  const imports = table('Grants received', ['From', 'Exposure', 'State', 'Entry', 'Ports', 'Address', 'Status', ''], { hideCaption: true });
  return {
    el: section('imports-title', 'Grants received', imports.el),
    load: whenChanged(
      () => page.ctx.api.list<Import>(`${page.base}/imports`),
      (body) => imports.show(body, (i) => `${i.exporter}/${i.exposure}`, (i) => importRow(page, i), 'Nothing is offered to this project.'),
    ),
  };
}

function importRow({ ctx, base, refresh }: ProjectPage, i: Import): HTMLTableRowElement {
  const path = `${base}/imports/${projectPath(i.exporter)}/${encodeURIComponent(i.exposure)}`;
  const pending = i.state === 'pending';
  return h(
    'tr',
    null,
    h('td', null, i.exporter),
    h('td', null, i.exposure),
    h('td', null, pending ? 'offered' : 'accepted'),
    h('td', { class: 'mono' }, i.entryName),
    h('td', null, portsText(i.ports)),
    h('td', { class: 'mono' }, i.address ?? ''),
    h('td', null, pending ? 'Waiting for your acceptance' : i.ready ? readyText(i) : progress(readyText(i))),
    h(
      'td',
      null,
      pending
        ? actionButton('Accept', 'Accepting…', async () => {
            await ctx.api.send('POST', `${path}/accept`);
            ctx.announce(`Accepted ${i.exposure} from ${i.exporter}.`);
            await refresh();
          }, ctx)
        : null,
      ' ',
      confirmButton(pending ? 'Decline' : 'Leave', pending ? `Decline ${i.exposure} from ${i.exporter}?` : `Stop using ${i.exposure} from ${i.exporter}?`, 'Declining…', async () => {
        await ctx.api.send('DELETE', path);
        ctx.announce(`Declined ${i.exposure} from ${i.exporter}.`);
        await refresh();
      }, ctx),
    ),
  );
}
