// What the project page's sections share: the page they are on and a few ways of saying things.

import { h } from '../../dom';
import type { Ctx } from '../../ui';
import { reasonInWords } from '../../words';

/** The project page as its sections see it. */
export interface ProjectPage {
  ctx: Ctx;
  /** The project's name, and its API path (`/v1/projects/<name>`). */
  name: string;
  base: string;
  /** The caller's tenant, as the project shows it (once read): which side of a peering is this project. */
  tenant: string | undefined;
  /** Reads every section again (after a write). */
  refresh(): Promise<void>;
}

/** One section of the page: its element, and its poll step. */
export interface Section {
  el: HTMLElement;
  load(): Promise<void>;
}

/** A titled section; `id` names its heading (the browser tests find sections by it). */
export const section = (id: string, text: string, ...content: Node[]): HTMLElement => h('section', { 'aria-labelledby': id }, h('h2', { id }, text), ...content);

/** Runs every step at once: one failing leaves the others current; the first failure (in order) is thrown. */
export async function settle(steps: ReadonlyArray<() => Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(steps.map((s) => s()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export const portsText = (ports: ReadonlyArray<{ port: number; protocol: string }>): string => ports.map((p) => `${p.port}/${p.protocol}`).join(', ');
export const readyText = (s: { ready: boolean; reason: string; message: string }): string => `${s.ready ? 'Ready' : 'Not ready'}: ${reasonInWords(s.reason)}${s.message ? ` — ${s.message}` : ''}`;

/** `tenant/project` as the API's path segments. */
export const projectPath = (qualified: string): string => {
  const [tenant, project] = qualified.split('/') as [string, string];
  return `${encodeURIComponent(tenant)}/${encodeURIComponent(project)}`;
};
