import { useEffect, useState } from 'react';
import { ApiError } from '../api/errors';
import { problemsByRule, ruleProblems } from '../api/rulePack';
import { readUntil } from '../api/readUntil';
import { holds, JsonText, segment, type Api } from '../api/client';
import {
  activeRoute,
  historyRoute,
  parseBundle,
  type ConstitutionAccepted,
  type ConstitutionHistory,
  type ConstitutionStatus,
} from '../api/constitution';
import { ErrorMessage, formatNumber, formatTime, Section, Show } from '../ui/parts';
import { useLoad } from '../ui/useLoad';
import type { PageProps } from '.';

interface RulePack {
  tenant: string;
  version: number;
  rules: { name: string; pattern: string; action?: string; severity?: string }[];
  updated_at?: string;
  updated_by?: string;
}

interface Verdict {
  allowed: boolean;
  decision: string;
  score: number;
  severity: string;
  redacted_content: string | null;
  reason: string | null;
  reasons: { policy?: { name: string; action: string; severity: string; excerpt?: string | null }[] };
}

/**
 * The tenant's pack as this edge's global table holds it (the one /v1/evaluate uses), with its ETag; null when the
 * tenant has none yet (the editor creates the first one).
 */
async function readPack(api: Api, tenant: string): Promise<{ pack: RulePack | null; etag: string | null }> {
  try {
    const reply = await api.send<RulePack>('GET', `/v1/policies/${segment(tenant)}`);
    return { pack: reply.body, etag: reply.headers.get('ETag') };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { pack: null, etag: null };
    throw error;
  }
}

/** What the page says of the pack the API returned: nothing made up for a tenant that has none. */
export function describePack(pack: Pick<RulePack, 'version' | 'rules' | 'updated_at' | 'updated_by'> | null): string {
  if (pack === null) return 'No rule pack yet: saving creates its first version.';
  const rules = pack.rules.length === 1 ? '1 rule' : `${pack.rules.length} rules`;
  return `Version ${pack.version}, ${rules}, changed ${formatTime(pack.updated_at)} by ${pack.updated_by ?? '—'}.`;
}

export function PoliciesPage({ api, tenant }: PageProps) {
  const pack = useLoad(() => readPack(api, tenant), [api, tenant]);
  return (
    <>
      <Section title={`Rule pack of ${tenant}`}>
        <Show loaded={pack} what="the rule pack">
          {({ pack: p, etag }) => <RuleEditor key={etag} api={api} tenant={tenant} pack={p} etag={etag} saved={pack.reload} />}
        </Show>
      </Section>
      <TryAPrompt api={api} tenant={tenant} />
      <Constitution api={api} tenant={tenant} />
    </>
  );
}

function RuleEditor({ api, tenant, pack, etag, saved }: Pick<PageProps, 'api' | 'tenant'> & { pack: RulePack | null; etag: string | null; saved: () => void }) {
  const [text, setText] = useState(JSON.stringify(pack?.rules ?? [], null, 2));
  const [error, setError] = useState<Error>();
  // the version the policy app accepted, until this edge's table holds it
  const [applying, setApplying] = useState<number>();
  useEffect(() => setText(JSON.stringify(pack?.rules ?? [], null, 2)), [pack]);
  const save = () => {
    setError(undefined);
    let rules: unknown;
    try {
      rules = JSON.parse(text);
    } catch (e) {
      setError(new Error(`The rules are not JSON: ${(e as Error).message}`));
      return;
    }
    api
      .send<RulePack>('PUT', `/v1/policies/${segment(tenant)}`, { rules }, etag ? { 'If-Match': etag } : { 'If-None-Match': '*' })
      .then(async ({ body: accepted }) => {
        // answered once the policy app sequenced it; GET and "try a prompt" read this edge's table, a moment later
        setApplying(accepted.version);
        await readUntil(
          () => readPack(api, tenant),
          (current) => (current.pack?.version ?? 0) >= accepted.version,
          (current) =>
            current.pack === null
              ? `Version ${accepted.version} was accepted, but this edge's rule table does not hold it yet: reload the page in a moment.`
              : `Version ${accepted.version} was accepted, but this edge's rule table still holds version ${current.pack.version}: reload the page in a moment.`,
        );
        saved();
      })
      .catch((err: Error) => setError(err))
      .finally(() => setApplying(undefined));
  };
  return (
    <>
      <p>{describePack(pack)}</p>
      <label htmlFor="rules">Rules (JSON)</label>
      <textarea id="rules" rows={14} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      {holds(api.session, 'policy.admin') && (
        <button type="button" onClick={save} disabled={applying !== undefined}>
          Save rules
        </button>
      )}
      {applying !== undefined && <p role="status">Version {applying} accepted; waiting for this edge's rule table to hold it…</p>}
      {error && <ErrorMessage error={error} />}
      <RuleProblems text={text} error={error} />
    </>
  );
}

/** The server's 422, each problem under the rule it names (the rules as they are in the editor). */
function RuleProblems({ text, error }: { text: string; error: Error | undefined }) {
  const problems = ruleProblems(error);
  if (problems.length === 0) return null;
  let names: string[] = [];
  try {
    names = (JSON.parse(text) as { name: string }[]).map((r) => r.name);
  } catch {
    // the editor's text changed into something that is not JSON: the problems go on the pack
  }
  return (
    <ul className="problems">
      {[...problemsByRule(names, problems)].map(([rule, list]) => (
        <li key={rule}>
          <strong>{rule === '' ? 'The pack' : `Rule “${rule}”`}</strong>
          <ul>
            {list.map((p, i) => (
              <li key={i}>
                {p.field && <code>{p.field}</code>} {p.message}
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}

function TryAPrompt({ api, tenant }: Pick<PageProps, 'api' | 'tenant'>) {
  const [prompt, setPrompt] = useState('');
  const [verdict, setVerdict] = useState<Verdict>();
  const [error, setError] = useState<Error>();
  return (
    <Section title="Try a prompt">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          // the verdict shown is always the one of the prompt shown: none while it is asked, none if refused
          setVerdict(undefined);
          api
            .send<Verdict>('POST', '/v1/evaluate', { tenant, prompt })
            .then((reply) => setVerdict(reply.body))
            .catch((err: Error) => setError(err));
        }}
      >
        <label htmlFor="prompt">Prompt</label>
        <textarea id="prompt" rows={3} value={prompt} onChange={(e) => setPrompt(e.target.value)} />
        <button type="submit">Evaluate</button>
      </form>
      {error && <ErrorMessage error={error} />}
      {verdict && (
        <div role="status">
          <p>
            <span className={`badge ${verdict.allowed ? 'approved' : 'rejected'}`}>{verdict.decision}</span> score{' '}
            {formatNumber(verdict.score, 3)}, severity {verdict.severity}
            {verdict.reason && <> ({verdict.reason})</>}
          </p>
          {verdict.redacted_content && <p className="mono">{verdict.redacted_content}</p>}
          <ul className="plain">
            {(verdict.reasons.policy ?? []).map((v) => (
              <li key={v.name}>
                <strong>{v.name}</strong> ({v.action}, {v.severity}){v.excerpt && <> : <mark>{v.excerpt}</mark></>}
              </li>
            ))}
          </ul>
        </div>
      )}
    </Section>
  );
}

/** The constitution governing the tenant, and a signed bundle published (the signing happens elsewhere, with the key). */
function Constitution({ api, tenant }: Pick<PageProps, 'api' | 'tenant'>) {
  const active = useLoad(() => api.get<ConstitutionStatus>(`/v1/constitution/${segment(tenant)}/hash`), [api, tenant]);
  const history = useLoad(() => api.get<ConstitutionHistory>(historyRoute(tenant)), [api, tenant]);
  const globalHistory = useLoad(() => api.get<ConstitutionHistory>(historyRoute('global')), [api]);
  const [text, setText] = useState('');
  const [status, setStatus] = useState<string>();
  const [error, setError] = useState<Error>();
  const publish = () => {
    setError(undefined);
    setStatus(undefined);
    let bundle: JsonText;
    try {
      bundle = parseBundle(text);
    } catch (e) {
      setError(e as Error);
      return;
    }
    api
      .send<ConstitutionAccepted>('POST', '/v1/constitution', bundle)
      .then(async ({ body: accepted }) => {
        // verified here and published; the policy app verifies it again before it becomes active
        setStatus(`Version ${accepted.version} verified and published; waiting for the policy app to activate it…`);
        await readUntil(
          () => api.get<ConstitutionStatus>(activeRoute(accepted.scope)),
          // the version too: a bundle may re-issue the same document, whose hash is the document's
          (current) => current.version === accepted.version && current.hash === accepted.hash,
          (current) =>
            `Version ${accepted.version} was published, but version ${current.version} is still active: the policy app refused it or has not read it yet.`,
        );
        setStatus(`Version ${accepted.version} is active (${accepted.scope}).`);
        active.reload();
        // the audit archive copies the policy app's verdict a moment after it is active
        await readUntil(
          () => api.get<ConstitutionHistory>(historyRoute(accepted.scope)),
          (h) => h.history.some((v) => v.outcome === 'activated' && v.version === accepted.version && v.hash === accepted.hash),
          () => `Version ${accepted.version} is active, but the audit archive has not recorded it yet: reload the page in a moment.`,
        );
        history.reload();
        globalHistory.reload();
      })
      .catch((err: Error) => (setStatus(undefined), setError(err)));
  };
  return (
    <Section title="Constitution">
      <Show loaded={active} what="the constitution">
        {(c) => (
          <p>
            Version {c.version} ({c.scope}), issued {formatTime(c.issued_at)}, signed by {c.key_id ?? '—'}, hash{' '}
            <span className="mono" title={c.hash}>
              {c.hash.slice(0, 16)}…
            </span>
          </p>
        )}
      </Show>
      {holds(api.session, 'constitution.publish') && (
        <form onSubmit={(e) => (e.preventDefault(), publish())}>
          <label htmlFor="bundle">Signed bundle (JSON)</label>
          <textarea id="bundle" rows={6} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
          <button type="submit" disabled={text === ''}>
            Publish bundle
          </button>
        </form>
      )}
      {status && <p role="status">{status}</p>}
      {error && <ErrorMessage error={error} />}
      {error instanceof ApiError && typeof error.details.reason === 'string' && <p>Reason: {error.details.reason}</p>}
      <h3>History of {tenant}</h3>
      <Show loaded={history} what={`the constitution history of ${tenant}`}>
        {(h) => <HistoryTable history={h} />}
      </Show>
      <h3>History of the global constitution</h3>
      <Show loaded={globalHistory} what="the global constitution history">
        {(h) => <HistoryTable history={h} />}
      </Show>
    </Section>
  );
}

/** Every bundle the policy app activated or refused for one scope, newest first, as the audit archive holds them. */
function HistoryTable({ history }: { history: ConstitutionHistory }) {
  if (history.history.length === 0) return <p>No bundle archived for {history.scope}.</p>;
  return (
    <>
      <table aria-label={`Constitution history of ${history.scope}`}>
        <thead>
          <tr>
            <th>Version</th>
            <th>Outcome</th>
            <th>Activated or refused</th>
            <th>Issued</th>
            <th>Signed by</th>
            <th>Hash</th>
          </tr>
        </thead>
        <tbody>
          {history.history.map((v) => (
            <tr key={v.event_id}>
              <td>{v.version ?? '—'}</td>
              <td>
                <span className={`badge ${v.outcome === 'activated' ? 'approved' : 'rejected'}`}>{v.outcome}</span>
                {v.reason && <> {v.reason}</>}
              </td>
              <td>{formatTime(v.timestamp)}</td>
              <td>{formatTime(v.issued_at)}</td>
              <td>{v.key_id ?? '—'}</td>
              <td className="mono" title={v.hash ?? undefined}>
                {v.hash ? `${v.hash.slice(0, 16)}…` : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {history.truncated && <p>Only the latest {history.history.length} are shown.</p>}
    </>
  );
}
