import { h } from '../dom';
import { Poller } from '../poll';
import { apiPath, hrefOf } from '../routes';
import type { Project } from '../types';
import { conditionList, confirmButton, field, formAlert, heading, phaseOf, showProblem, table, whenChanged, whileBusy, type Ctx, type View } from '../ui';

/** Refusals about the address block that name no field: shown next to the CIDR (or prefix length) field. */
const blockCodes = new Set(['invalid-cidr', 'wrong-family', 'prefix-too-large', 'prefix-too-small', 'outside-pool', 'overlaps-reserved', 'overlaps-allocated', 'exhausted']);

/** The tenant's projects, live, with the form that creates one and the button that deletes one. */
export function projectsView(ctx: Ctx): View {
  const title = heading('Projects');
  const list = table('Your projects', ['Name', 'Phase', 'Conditions', 'CIDR', 'Egress IP', 'Host namespace', ''], { busy: true });
  const show = (projects: Project[]): void => {
    if (projects[0]) ctx.learnTenant(projects[0].tenant);
    list.show(projects, (p) => p.name, row, 'No projects yet.');
  };
  const poller = new Poller(
    whenChanged(() => ctx.api.list<Project>('/v1/projects'), show),
    ctx.fail,
  );

  const row = (p: Project): HTMLTableRowElement =>
    h(
      'tr',
      null,
      h('th', { scope: 'row' }, h('a', { href: hrefOf({ view: 'project', name: p.name }) }, p.name)),
      h('td', { class: 'phase-cell' }, phaseOf(p)),
      h('td', null, conditionList(p.status.conditions)),
      h('td', { class: 'mono' }, p.status.cidr ?? p.spec.cidr ?? ''),
      h('td', { class: 'mono' }, p.status.egressIp ?? ''),
      h('td', { class: 'mono' }, p.status.namespace ?? ''),
      h(
        'td',
        null,
        p.deletionRequestedAt === undefined
          ? confirmButton('Delete', `Delete project ${p.name}?`, 'Deleting…', async () => {
              await ctx.api.send('DELETE', apiPath`/v1/projects/${p.name}`);
              ctx.announce(`Project ${p.name}: deletion requested.`);
              await poller.tick();
            }, ctx)
          : null,
      ),
    );

  const el = h('div', { class: 'view' }, title, createForm(ctx, () => poller.tick()), h('section', { 'aria-label': 'Your projects' }, list.el));
  void poller.tick();
  return { el, heading: title, stop: () => poller.stop() };
}

function createForm(ctx: Ctx, created: () => Promise<void>): HTMLElement {
  const name = field('name', 'Name', h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' }), 'Lower-case letters, digits and "-"; it names the host namespace <tenant>-<name>.');
  const cidr = field('cidr', 'CIDR (optional)', h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: '10.20.0.0/24' }), 'An exact block from the pool.');
  const prefixLength = field('prefixLength', 'or prefix length (optional)', h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off' }), 'A block of this size, wherever it is free. Neither: the pool’s default size.');
  const egress = field(
    'egressNetworkType',
    'Egress',
    h('select', null, h('option', { value: 'cloud' }, 'cloud'), h('option', { value: 'public' }, 'public')),
    'The network the project’s egress address (EIP) comes from.',
  );
  const fields = [name, cidr, prefixLength, egress];
  const alert = formAlert();
  const submit = h('button', { type: 'submit' }, 'Create project');
  const form: HTMLFormElement = h(
    'form',
    {
      novalidate: true,
      class: 'create',
      'aria-labelledby': 'create-project-title',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const length = prefixLength.control.value.trim();
        const body = {
          name: name.control.value.trim(),
          egressNetworkType: egress.control.value,
          ...(cidr.control.value.trim() ? { cidr: cidr.control.value.trim() } : {}),
          // A number when it reads as one; otherwise as typed, and the API says what is wrong with it.
          ...(length ? { prefixLength: /^\d+$/.test(length) ? Number(length) : length } : {}),
        };
        await whileBusy(submit, 'Creating…', async () => {
          try {
            // One key per submission: a retried request (a flaky network) cannot create twice.
            await ctx.api.send('POST', '/v1/projects', body, { 'idempotency-key': crypto.randomUUID() });
            for (const f of fields) f.setError(undefined);
            alert.hidden = true;
            form.reset();
            ctx.announce(`Project ${body.name} created; provisioning…`);
            name.control.focus();
            await created();
          } catch (e) {
            showProblem(e, fields, alert, (code) => {
              if (code === 'already-exists' || code === 'name-too-long') return 'name';
              if (!blockCodes.has(code)) return undefined;
              return body.cidr !== undefined ? 'cidr' : body.prefixLength !== undefined ? 'prefixLength' : undefined;
            });
          }
        });
      },
    },
    h('h2', { id: 'create-project-title' }, 'New project'),
    alert,
    h('div', { class: 'fields' }, fields.map((f) => f.el)),
    submit,
  );
  return form;
}
