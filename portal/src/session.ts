// The signed-in token: in sessionStorage (this tab only, gone when it closes), sent only as a
// bearer header by api.ts. Never in a URL, a cookie or a log. Sign-out removes it.

export type Role = 'tenant' | 'admin';

export interface Session {
  token: string;
  role: Role;
  /** The tenant's name when the API has shown it (a project's `tenant`); absent for a tenant without projects. */
  tenant?: string;
}

const KEY = 'netbroker.session';

export function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Partial<Session>;
    return typeof s.token === 'string' && (s.role === 'tenant' || s.role === 'admin') ? (s as Session) : undefined;
  } catch {
    return undefined;
  }
}

export const saveSession = (s: Session): void => sessionStorage.setItem(KEY, JSON.stringify(s));

export const clearSession = (): void => sessionStorage.removeItem(KEY);
