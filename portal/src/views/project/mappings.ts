import { h } from '../../dom';
import type { Mapping } from '../../types';
import { table, whenChanged } from '../../ui';
import { readyText, section, type ProjectPage, type Section } from './page';

/** The services the syncer maps between the host and the virtual cluster. */
export function mappingsSection({ ctx, base }: ProjectPage): Section {
  const mappings = table('Service mappings', ['Direction', 'From', 'To', 'Status'], { hideCaption: true });
  const row = (m: Mapping): HTMLTableRowElement =>
    h(
      'tr',
      null,
      h('td', null, m.direction === 'fromHost' ? 'host → virtual' : 'virtual → host'),
      h('td', { class: 'mono' }, m.from),
      h('td', { class: 'mono' }, m.to),
      h('td', null, readyText(m.status)),
    );
  return {
    el: section('mappings-title', 'Service mappings', mappings.el),
    load: whenChanged(
      () => ctx.api.list<Mapping>(`${base}/mappings`),
      (body) => mappings.show(body, (m) => m.id, row, 'No mappings.'),
    ),
  };
}
