// The one way the portal makes DOM: createElement, text nodes and a closed set of attributes.
// Data only ever becomes a text node or an attribute value; there is no HTML parsing anywhere
// (eslint refuses innerHTML, outerHTML, insertAdjacentHTML and document.write in portal/src).

export type Child = Node | string | number | false | null | undefined | readonly Child[];
type Listener = (event: Event) => void;
type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Record<string, AttrValue | Listener>;

let ids = 0;
/** A fresh element id (labels, aria-describedby). */
export const newId = (prefix: string): string => `${prefix}-${++ids}`;

function append(parent: Node, child: Child): void {
  if (child === false || child === null || child === undefined) return;
  if (Array.isArray(child)) {
    for (const c of child as readonly Child[]) append(parent, c);
    return;
  }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

/**
 * An element: `h('button', { class: 'danger', onclick: del }, 'Delete')`. `on*` with a function
 * adds a listener; `href` must be one of the portal's own `#/…` routes; `style` is refused (CSP
 * allows no style attributes: set element.style from code).
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (typeof value === 'function') {
      if (!name.startsWith('on')) throw new Error(`attribute ${name}: a function is only a listener (on…)`);
      el.addEventListener(name.slice(2), value);
      continue;
    }
    if (name === 'style' || name.startsWith('on')) throw new Error(`attribute ${name} is not allowed`);
    if (name === 'href' && typeof value === 'string' && !value.startsWith('#/')) throw new Error('href: only the portal’s own #/ routes');
    if (value === false || value === null || value === undefined) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A list's row: its key, a signature of its data, and how to build it. */
export interface Row {
  key: string;
  signature: string;
  render: () => HTMLElement;
}

/** Keyed rows of a list (the signature: the item as JSON), or the one `empty` row when there is none. */
export const rowsOf = <T>(items: readonly T[], keyOf: (item: T) => string, render: (item: T) => HTMLElement, empty: Row): Row[] =>
  items.length ? items.map((item) => ({ key: keyOf(item), signature: JSON.stringify(item), render: () => render(item) })) : [empty];

/**
 * Updates a list's rows by key: a row whose signature (its data, as JSON) is unchanged stays the
 * same node — focus and a half-typed input in it survive a poll — changed rows are rebuilt, gone
 * ones removed, and the order follows `rows`.
 */
export function updateRows(parent: Element, rows: readonly Row[]): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(parent.children)) {
    if (child instanceof HTMLElement && child.dataset.key !== undefined) existing.set(child.dataset.key, child);
  }
  let cursor: Element | null = parent.firstElementChild;
  for (const row of rows) {
    let el = existing.get(row.key);
    existing.delete(row.key);
    if (!el || el.dataset.signature !== row.signature) {
      const fresh = row.render();
      fresh.dataset.key = row.key;
      fresh.dataset.signature = row.signature;
      if (el) {
        const hadFocus = el.contains(document.activeElement);
        el.replaceWith(fresh);
        if (hadFocus) fresh.querySelector<HTMLElement>('button, a, input')?.focus();
        if (cursor === el) cursor = fresh;
      }
      el = fresh;
    }
    if (el !== cursor) parent.insertBefore(el, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const gone of existing.values()) gone.remove();
}
