// Pieces the views share: the view contract, tables, progress, inline confirmation, forms that
// show the API's problem+json next to the fields it names.

import { isApiError, type Fetched, type Reader } from './api';
import { h, newId, rowsOf, updateRows, type Child, type Row } from './dom';
import type { Session } from './session';
import type { Project } from './types';
import { conditionInWords, reasonInWords } from './words';

export interface Ctx {
  /** This view's reads and the writes (api.ts). */
  api: Reader;
  session: Session;
  /** Says something in the page's polite live region (and shows it). */
  announce(message: string): void;
  /** Shows a failure in the page's alert region. */
  fail(e: unknown): void;
  /** The tenant's name, once an answer has shown it (a project's `tenant`): shown in the header. */
  learnTenant(name: string): void;
}

/** A view: its element, the heading that takes focus when it opens, and how to stop its polling. */
export interface View {
  el: HTMLElement;
  heading: HTMLElement;
  stop(): void;
}

export const heading = (text: string): HTMLHeadingElement => h('h1', { tabindex: -1 }, text);

export const describeError = (e: unknown): string =>
  isApiError(e) ? `${e.problem.title}: ${e.problem.detail}` : e instanceof Error ? e.message : String(e);

/** A visible progress indication with its words (`Provisioning…`); the spinner itself is decoration. */
export const progress = (text: string): HTMLSpanElement => h('span', { class: 'progress', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);

export interface Table {
  el: HTMLTableElement;
  body: HTMLTableSectionElement;
  /** One row an item (keyed by `keyOf`, updateRows), or a row saying `empty` across every column; ends `busy`. */
  show<T>(items: readonly T[], keyOf: (item: T) => string, render: (item: T) => HTMLTableRowElement, empty: string): void;
}

/** A table with a caption and header cells; `busy` (aria-busy) until its first `show`. */
export function table(caption: string, headers: string[], opts: { hideCaption?: boolean; busy?: boolean } = {}): Table {
  const body = h('tbody');
  const el = h(
    'table',
    opts.busy ? { 'aria-busy': 'true' } : null,
    h('caption', opts.hideCaption ? { class: 'visually-hidden' } : null, caption),
    h('thead', null, h('tr', null, headers.map((text) => h('th', { scope: 'col' }, text)))),
    body,
  );
  return {
    el,
    body,
    show(items, keyOf, render, empty) {
      updateRows(body, rowsOf(items, keyOf, render, emptyRow(headers.length, empty)));
      el.removeAttribute('aria-busy');
    },
  };
}

/** The row a list shows when it is empty. */
export const emptyRow = (columns: number, text: string): Row => ({
  key: '__empty',
  signature: text,
  render: () => h('tr', { class: 'empty' }, h('td', { colspan: columns }, text)),
});

/** A poll step: reads, and hands the answer on only when it changed. */
export const whenChanged =
  <T>(read: () => Promise<Fetched<T>>, show: (body: T) => void) =>
  async (): Promise<void> => {
    const { body, changed } = await read();
    if (changed) show(body);
  };

/** A point in time, in the reader's locale, machine-readable in `datetime`. */
export const when = (iso: string): HTMLTimeElement => h('time', { datetime: iso }, new Date(iso).toLocaleString());

/** A description list of `[term, description, class of the description]`; a falsy entry is left out. */
export const details = (entries: ReadonlyArray<readonly [string, Child, string?] | false | null | undefined>): HTMLDListElement =>
  h('dl', null, entries.map((e) => e && [h('dt', null, e[0]), h('dd', e[2] ? { class: e[2] } : null, e[1])]));

/** A form's alert: what a failed write says that belongs to no field. */
export const formAlert = (): HTMLParagraphElement => h('p', { class: 'form-error', role: 'alert', tabindex: -1, hidden: true });

/** Runs `work` with the button disabled and busy (saying `busyText` meanwhile, when given), then restores it. */
export async function whileBusy(button: HTMLButtonElement, busyText: string | undefined, work: () => Promise<void>): Promise<void> {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (busyText !== undefined) button.textContent = busyText;
  try {
    await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (busyText !== undefined) button.textContent = label;
  }
}

/**
 * A button that asks first, in place (no browser dialog): `Delete` becomes `Delete web? Yes / No`,
 * focus on No; Yes runs the action with progress shown (a failure goes to the alert region and
 * the button comes back).
 */
export function confirmButton(label: string, question: string, busyText: string, action: () => Promise<void>, ctx: Ctx): HTMLElement {
  const box = h('span', { class: 'confirm' });
  const initial = (): void => {
    const button = h('button', { type: 'button', class: 'danger', onclick: ask }, label);
    box.replaceChildren(button);
  };
  const ask = (): void => {
    const no = h('button', { type: 'button', onclick: () => (initial(), box.querySelector('button')?.focus()) }, 'No');
    const yes = h('button', { type: 'button', class: 'danger', onclick: () => void run() }, 'Yes');
    box.replaceChildren(h('span', { class: 'question' }, question), ' ', yes, ' ', no);
    no.focus();
  };
  const run = async (): Promise<void> => {
    box.setAttribute('aria-busy', 'true');
    box.replaceChildren(progress(busyText));
    try {
      await action();
    } catch (e) {
      ctx.fail(e);
      initial();
    } finally {
      box.removeAttribute('aria-busy');
    }
  };
  initial();
  return box;
}

/** A button that runs an async action with progress shown, failures in the alert region. */
export function actionButton(label: string, busyText: string, action: () => Promise<void>, ctx: Ctx, cls = ''): HTMLButtonElement {
  const button: HTMLButtonElement = h('button', { type: 'button', class: cls, onclick: () => void whileBusy(button, busyText, () => action().catch((e: unknown) => ctx.fail(e))) }, label);
  return button;
}

/** A project's phase in words, with progress while it is being provisioned or deleted. */
export function phaseOf(p: Project): Node {
  if (p.status.phase === 'Deleting' || p.deletionRequestedAt !== undefined) return progress('Deleting…');
  if (p.status.phase === 'Pending') return progress('Provisioning…');
  if (p.status.phase === 'Failed') {
    const ready = p.status.conditions.find((c) => c.type === 'Ready');
    return h('span', { class: 'phase failed' }, 'Failed', ready ? ` — ${reasonInWords(ready.reason)}` : '');
  }
  return h('span', { class: `phase ${p.status.phase.toLowerCase()}` }, p.status.phase);
}

/** Conditions as a list of sentences, each with its message. */
export function conditionList(conditions: ReadonlyArray<{ type: string; status: string; reason: string; message: string }>): HTMLElement {
  return h(
    'ul',
    { class: 'conditions' },
    conditions
      .filter((c) => c.type !== 'Ready')
      .map((c) => h('li', { class: `condition ${c.status.toLowerCase()}` }, conditionInWords(c), c.message ? h('span', { class: 'message' }, ` — ${c.message}`) : null)),
  );
}

/** A labelled form field with its hint and a slot for the API's error about it. */
export interface Field {
  name: string;
  el: HTMLElement;
  control: HTMLInputElement | HTMLSelectElement;
  setError(message: string | undefined): void;
}

export function field(name: string, label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): Field {
  const id = newId(`f-${name}`);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  control.id = id;
  control.name = name;
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const describe = (withError: boolean) => [hint ? hintId : '', withError ? errorId : ''].filter(Boolean).join(' ');
  if (hint) control.setAttribute('aria-describedby', describe(false));
  const el = h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { id: hintId, class: 'hint' }, hint) : null, error);
  return {
    name,
    el,
    control,
    setError(message) {
      error.textContent = message ?? '';
      error.hidden = message === undefined;
      if (message === undefined) control.removeAttribute('aria-invalid');
      else control.setAttribute('aria-invalid', 'true');
      const ids = describe(message !== undefined);
      if (ids) control.setAttribute('aria-describedby', ids);
      else control.removeAttribute('aria-describedby');
    },
  };
}

/**
 * Shows a failed write on the form: each field error of the problem next to its field (a path
 * `cidr` or `body.cidr`; codes that are about one field without naming it, via `codeFields`),
 * the rest in the form's alert; focus on the first field in error, else on the alert.
 */
export function showProblem(e: unknown, fields: Field[], alert: HTMLElement, codeFields: (code: string) => string | undefined = () => undefined): void {
  for (const f of fields) f.setError(undefined);
  const leftover: string[] = [];
  let first: Field | undefined;
  if (isApiError(e)) {
    const byName = new Map(fields.map((f) => [f.name, f]));
    const errors = e.errors.length ? e.errors : [{ path: codeFields(e.code) ?? '(root)', message: e.problem.detail }];
    const messages = new Map<Field, string[]>();
    for (const err of errors) {
      const target = byName.get(err.path.replace(/^body\./, '').split('.')[0]!);
      if (target) messages.set(target, [...(messages.get(target) ?? []), err.message]);
      else leftover.push(err.path === '(root)' ? err.message : `${err.path}: ${err.message}`);
    }
    for (const [f, list] of messages) {
      f.setError(list.join('; '));
      first ??= f;
    }
    alert.textContent = leftover.length || !first ? `${e.problem.title}: ${[...new Set(leftover.length ? leftover : [e.problem.detail])].join('; ')}` : `${e.problem.title}: see the field${messages.size > 1 ? 's' : ''} marked below.`;
  } else {
    alert.textContent = describeError(e);
  }
  alert.hidden = false;
  (first?.control ?? alert).focus();
}
