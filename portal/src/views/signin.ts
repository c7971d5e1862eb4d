import { Api, isApiError } from '../api';
import { h } from '../dom';
import type { Session } from '../session';
import { describeError, field, heading, whileBusy, type View } from '../ui';

/**
 * Sign in with a token: a tenant token opens the tenant views, the admin token the admin views.
 * Which one it is, the API says: a tenant route answers 403 to the admin token.
 */
export function signInView(signedIn: (s: Session) => void, notice?: string): View {
  const input = h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off' });
  const token = field('token', 'Token', input, 'A tenant token (nbt_…) or the admin token. It stays in this browser tab (sessionStorage) and is sent only to this API, as a bearer header.');
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const title = heading('Sign in to netbroker');
  const form: HTMLFormElement = h(
    'form',
    {
      novalidate: true,
      class: 'signin',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const value = input.value.trim();
        if (!value) {
          token.setError('Enter a token.');
          input.focus();
          return;
        }
        await whileBusy(submit, 'Signing in…', async () => {
          try {
            signedIn(await probe(value));
          } catch (e) {
            token.setError(isApiError(e, 401) ? 'This token is not valid (or was revoked).' : describeError(e));
            input.focus();
          }
        });
      },
    },
    title,
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    token.el,
    submit,
  );
  return { el: h('div', { class: 'signin-page' }, form), heading: title, stop: () => undefined };
}

/** Which kind of token this is, by asking the API with it. */
async function probe(token: string): Promise<Session> {
  const api = new Api({ token: () => token, onUnauthenticated: () => undefined }).reader();
  try {
    const projects = await api.get<{ items: Array<{ tenant: string }> }>('/v1/projects?limit=1');
    const tenant = projects.body.items[0]?.tenant;
    return { token, role: 'tenant', ...(tenant ? { tenant } : {}) };
  } catch (e) {
    if (!isApiError(e, 403)) throw e;
  }
  await api.get('/admin/tenants?limit=1');
  return { token, role: 'admin' };
}
