import { useCallback, useEffect, useMemo, useState } from 'react';
import { Api, holds, PLATFORM_OPERATOR, signIn, type Session } from './api/client';
import { ErrorMessage, formatTime } from './ui/parts';
import { PageErrorBoundary } from './ui/PageErrorBoundary';
import { useLoad } from './ui/useLoad';
import { PAGES, pageOf } from './pages';

/** The page named by the URL's hash (#/budgets): a reload or a shared link opens the same page. */
function useHashPage() {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return pageOf(hash);
}

/** The longest delay setTimeout keeps: a longer one fires at once. */
const MAX_TIMER_MILLIS = 2 ** 31 - 1;

export function App() {
  const [session, setSession] = useState<Session>();
  // why the last session ended, when it was not signed out: shown on the sign-in form
  const [ended, setEnded] = useState<Error>();
  // ends `ended` only: a call of a session already signed out may answer 401 after the next sign-in
  const end = useCallback((ended: Session, why?: Error) => {
    setSession((current) => {
      if (current !== ended) return current;
      setEnded(why);
      return undefined;
    });
  }, []);
  // panels would show the API's 401 on every refresh: back to the sign-in form instead, saying why
  useEffect(() => {
    if (!session) return;
    const timer = setTimeout(
      () => end(session, new Error(`Your session expired at ${expiry(session)}: sign in again.`)),
      Math.min(MAX_TIMER_MILLIS, Math.max(0, session.expiresAt * 1000 - Date.now())),
    );
    return () => clearTimeout(timer);
  }, [session, end]);
  const api = useMemo(() => session && new Api(session, (why) => end(session, new Error(`Signed out: ${why.message}`))), [session, end]);
  return api ? (
    <Console
      api={api}
      signOut={() =>
        // bounded: an edge that does not answer must not keep the console signed in
        Promise.race([
          api.revoke(),
          new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`no answer within ${REVOKE_WAIT_MILLIS / 1000} s`)), REVOKE_WAIT_MILLIS)),
        ]).then(
          () => end(api.session),
          (why: Error) =>
            end(
              api.session,
              new Error(`Signed out here, but the API did not revoke the token, valid until ${expiry(api.session)}: ${why.message}`),
            ),
        )
      }
    />
  ) : (
    <SignIn
      ended={ended}
      onSignedIn={(signedIn) => {
        setEnded(undefined);
        setSession(signedIn);
      }}
    />
  );
}

function SignIn({ onSignedIn, ended }: { onSignedIn: (session: Session) => void; ended: Error | undefined }) {
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  return (
    <main className="sign-in">
      <h1>Soma Streams console</h1>
      {ended && <ErrorMessage error={ended} />}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          signIn(apiKey)
            .then(onSignedIn)
            .catch((err: Error) => setError(err))
            .finally(() => setBusy(false));
        }}
      >
        <label htmlFor="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" value={apiKey} onChange={(e) => setApiKey(e.target.value)} />
        <button type="submit" disabled={busy || apiKey === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && <ErrorMessage error={error} />}
      </form>
      <p className="hint">The key is exchanged for a token kept in this tab's memory only: a reload signs you out.</p>
    </main>
  );
}

function Console({ api, signOut }: { api: Api; signOut: () => void }) {
  const page = useHashPage();
  const { session } = api;
  const operator = holds(session, PLATFORM_OPERATOR);
  const [tenant, setTenant] = useState(session.tenant);
  // a tenant user sees its own tenant only; a platform operator may pick any
  const tenants = useLoad(
    () => (operator ? api.get<{ tenants: { tenant_id: string }[] }>('/v1/tenants') : Promise.resolve({ tenants: [] })),
    [api],
  );
  const choices = operator ? (tenants.data?.tenants.map((t) => t.tenant_id) ?? [session.tenant]) : [session.tenant];
  const Page = page.component;
  return (
    <>
      <header className="top">
        <span className="brand">Soma Streams</span>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a key={p.path} href={`#/${p.path}`} aria-current={p === page ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <label className="tenant">
          Tenant{' '}
          <select value={tenant} disabled={!operator} onChange={(e) => setTenant(e.target.value)}>
            {(choices.includes(tenant) ? choices : [tenant, ...choices]).map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <span className="who">
          {session.subject}@{session.tenant}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      {tenants.error && <ErrorMessage error={tenants.error} />}
      <main>
        <h1>{page.title}</h1>
        {/* a new tenant mounts the page afresh: nothing of the last tenant's (its data, an editor's text) stays on
            screen under the new name while the new tenant's data loads, or when it fails to */}
        <PageErrorBoundary key={`${page.path}/${tenant}`}>
          <Page api={api} tenant={tenant} tenants={choices} operator={operator} />
        </PageErrorBoundary>
      </main>
    </>
  );
}

/** How long sign-out waits for the API to revoke the token before it signs out without. */
const REVOKE_WAIT_MILLIS = 5000;

function expiry(session: Session): string {
  return formatTime(new Date(session.expiresAt * 1000).toISOString());
}
