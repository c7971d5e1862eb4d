import { unlessAbsent } from '../../api';
import { fill, h } from '../../dom';
import { hrefOf } from '../../routes';
import type { ProjectDetail } from '../../types';
import { conditionList, confirmButton, details, phaseOf, when } from '../../ui';
import type { ProjectPage } from './page';

/** The project's own status and its delete button; `load` says whether the project exists (and learns its tenant). */
export function statusSummary(page: ProjectPage): { el: HTMLElement; load(): Promise<boolean> } {
  const { ctx, name, base } = page;
  const el = h('div', { class: 'summary', 'aria-busy': 'true' });
  const load = async (): Promise<boolean> => {
    const fetched = await unlessAbsent(ctx.api.get<ProjectDetail>(base));
    if (!fetched) {
      fill(el, h('p', null, `There is no project named “${name}” (or it has just been deleted). `, h('a', { href: hrefOf({ view: 'projects' }) }, 'All projects')));
      el.removeAttribute('aria-busy');
      return false;
    }
    if (!fetched.changed) return true;
    const p = fetched.body;
    page.tenant = p.tenant;
    ctx.learnTenant(p.tenant);
    fill(
      el,
      details([
        ['Phase', phaseOf(p)],
        ['CIDR', p.status.cidr ?? p.spec.cidr ?? (p.spec.prefixLength !== undefined ? `a /${p.spec.prefixLength} (not yet allocated)` : 'not yet allocated'), 'mono'],
        ['Egress', [h('span', { class: 'mono' }, p.status.egressIp ?? 'not yet allocated'), ` (${p.spec.egressNetworkType})`]],
        ['Host namespace', p.status.namespace ?? 'not yet created', 'mono'],
        ['Created', when(p.createdAt)],
        ['Conditions', conditionList(p.status.conditions)],
      ]),
      p.deletionRequestedAt === undefined
        ? confirmButton('Delete project', `Delete project ${p.name}?`, 'Deleting…', async () => {
            await ctx.api.send('DELETE', base);
            ctx.announce(`Project ${p.name}: deletion requested.`);
            await page.refresh();
          }, ctx)
        : null,
    );
    el.removeAttribute('aria-busy');
    return true;
  };
  return { el, load };
}
