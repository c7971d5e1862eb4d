// The portal: a shell (header, navigation, live regions) around one view at a time, chosen by
// `location.hash`. Signed out, the sign-in view; signed in, the tenant's or the admin's views.

import { Api, isApiError } from './api';
import { fill, h } from './dom';
import { hrefOf, parseRoute, type Route } from './routes';
import { clearSession, loadSession, saveSession, type Session } from './session';
import { describeError, heading, type Ctx, type View } from './ui';
import { poolView, poolsView } from './views/pools';
import { projectView } from './views/project/index';
import { projectsView } from './views/projects';
import { signInView } from './views/signin';
import { tenantsView } from './views/tenants';

let session = loadSession();
let current: View | undefined;

const announcer = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
const alertBox = h('div', { class: 'alert', role: 'alert', hidden: true });
const nav = h('nav', { 'aria-label': 'Main' });
const who = h('span', { class: 'who' });
const signOutButton = h('button', { type: 'button', class: 'link', onclick: () => signOut() }, 'Sign out');
const main = h('main', { id: 'main', tabindex: -1 });
const busyBar = h('div', { class: 'busy-bar', 'aria-hidden': 'true' });

const api = new Api({
  token: () => session?.token,
  onUnauthenticated: () => signOut('Your session ended: the token is no longer valid. Sign in again.'),
  onBusy: (busy) => busyBar.classList.toggle('active', busy),
});

const ctx = (s: Session): Ctx => ({
  api: api.reader(),
  session: s,
  announce(message) {
    // A change of text is what screen readers announce: clear, then set.
    announcer.textContent = '';
    window.setTimeout(() => (announcer.textContent = message), 50);
  },
  learnTenant(name) {
    if (s.tenant === name) return;
    s.tenant = name;
    saveSession(s);
    who.textContent = `Tenant ${name}`;
  },
  fail(e) {
    if (isApiError(e, 401)) return;
    alertBox.replaceChildren(
      h('span', null, describeError(e)),
      ' ',
      h('button', { type: 'button', class: 'link', onclick: () => (alertBox.hidden = true) }, 'Dismiss'),
    );
    alertBox.hidden = false;
  },
});

function signOut(notice?: string): void {
  clearSession();
  session = undefined;
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  render(notice);
}

function navigation(s: Session, route: Route): void {
  const links: Array<[string, Route, (r: Route) => boolean]> =
    s.role === 'admin'
      ? [
          ['Tenants', { view: 'tenants' }, (r) => r.view === 'tenants'],
          ['Address space', { view: 'pools' }, (r) => r.view === 'pools' || r.view === 'pool'],
        ]
      : [
          ['Projects', { view: 'projects' }, (r) => r.view === 'projects' || r.view === 'project'],
          ['Address space', { view: 'pools' }, (r) => r.view === 'pools' || r.view === 'pool'],
        ];
  fill(
    nav,
    h(
      'ul',
      null,
      links.map(([text, target, active]) => h('li', null, h('a', { href: hrefOf(target), 'aria-current': active(route) ? 'page' : null }, text))),
    ),
  );
  who.textContent = s.role === 'admin' ? 'Admin' : s.tenant ? `Tenant ${s.tenant}` : 'Tenant';
}

function viewFor(route: Route, c: Ctx): View {
  const admin = c.session.role === 'admin';
  switch (route.view) {
    case 'projects':
      return admin ? tenantsView(c) : projectsView(c);
    case 'project':
      return admin ? tenantsView(c) : projectView(c, route.name);
    case 'tenants':
      return admin ? tenantsView(c) : projectsView(c);
    case 'pools':
      return poolsView(c);
    case 'pool':
      return poolView(c, route.name);
    case 'not-found': {
      const title = heading('Not found');
      return { el: h('div', { class: 'view' }, title, h('p', null, 'Nothing is at ', h('code', null, route.hash), '. ', h('a', { href: '#/' }, 'Back to the start'))), heading: title, stop: () => undefined };
    }
  }
}

function render(notice?: string): void {
  current?.stop();
  alertBox.hidden = true;
  const route = parseRoute(location.hash);
  if (!session) {
    document.body.classList.add('signed-out');
    fill(nav);
    who.textContent = '';
    current = signInView((s) => {
      session = s;
      saveSession(s);
      const start: Route = s.role === 'admin' ? { view: 'tenants' } : { view: 'projects' };
      if (parseRoute(location.hash).view === start.view) render();
      else location.hash = hrefOf(start);
    }, notice);
  } else {
    document.body.classList.remove('signed-out');
    navigation(session, route);
    current = viewFor(route, ctx(session));
  }
  fill(main, current.el);
  document.title = `${current.heading.textContent ?? ''} · netbroker`;
  current.heading.focus();
}

document.body.replaceChildren(
  h('a', { class: 'skip', href: '#/', onclick: (e: Event) => (e.preventDefault(), main.focus()) }, 'Skip to content'),
  h('header', null, h('span', { class: 'brand' }, 'netbroker'), nav, h('span', { class: 'session' }, who, ' ', signOutButton)),
  busyBar,
  alertBox,
  main,
  announcer,
);
window.addEventListener('hashchange', () => render());
render();
