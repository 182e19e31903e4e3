import { useState } from 'react';
import { segment, type Api } from '../api/client';
import { ErrorMessage, formatNumber, formatTime, Section, Show } from '../ui/parts';
import { useLoad } from '../ui/useLoad';
import { useStream } from '../ui/useStream';
import type { PageProps } from '.';

export interface CapsuleSummary {
  capsule_id: string;
  publisher: string;
  status: string;
  name: string;
  version: string;
  findings: number;
  updated_at: string;
}

interface CapsulePage {
  items: CapsuleSummary[];
  page: number;
  size: number;
  total: number;
}

interface Capsule extends Omit<CapsuleSummary, 'findings'> {
  description: string | null;
  findings: { check: string; severity: string; subject: string; note: string }[];
  /** actor: null unless the caller's tenant published the capsule, or it reviews or operates the platform */
  history: { action: string; actor: string | null; from_status: string | null; to_status: string; notes?: string; at: string }[];
  token_summary: {
    as_of: string;
    last_24h: { total_tokens?: number; requests?: number; cost_usd?: number };
    last_7d: { total_tokens?: number; requests?: number; cost_usd?: number };
  } | null;
}

const STATUSES = ['submitted', 'in_review', 'approved', 'rejected', 'revoked'];
const PAGE_SIZE = 20;

export function Badge({ status }: { status: string }) {
  return <span className={`badge ${status}`}>{status.replace('_', ' ')}</span>;
}

/**
 * What a row shows: the streamed summary of the capsule when it is at least as recent as the listed one. A page
 * loaded after the stream's last change (another page, a filter, a reload after a gap) is newer than it.
 */
export function shownSummary(listed: CapsuleSummary, streamed: CapsuleSummary | undefined): CapsuleSummary {
  return streamed !== undefined && Date.parse(streamed.updated_at) >= Date.parse(listed.updated_at) ? streamed : listed;
}

export function MarketplacePage({ api }: PageProps) {
  const [status, setStatus] = useState('');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<string>();
  // a capsule's transitions as the catalog streams them, shown over the page's snapshot
  const [changed, setChanged] = useState<Record<string, CapsuleSummary>>({});
  const capsules = useLoad(
    () => api.get<CapsulePage>('/v1/marketplace/capsules', { status, q: query, page, size: PAGE_SIZE }),
    [api, status, query, page],
  );
  const stream = useStream(api, '/v1/marketplace/stream', (event) => {
    // changes were skipped (this page fell behind, or its resume point is gone): the catalog is read again
    if (event.event === 'gap') capsules.reload();
    if (event.event !== 'capsule') return;
    const summary = JSON.parse(event.data) as CapsuleSummary;
    setChanged((all) => ({ ...all, [summary.capsule_id]: summary }));
  });
  return (
    <>
      <Section title="Catalog">
        <form className="inline" role="search" onSubmit={(e) => e.preventDefault()}>
          <label>
            Search <input type="search" value={query} onChange={(e) => (setQuery(e.target.value), setPage(1))} />
          </label>
          <label>
            Status{' '}
            <select value={status} onChange={(e) => (setStatus(e.target.value), setPage(1))}>
              <option value="">any</option>
              {STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <span className="status">{stream.live ? 'Live' : 'Connecting…'}</span>
        </form>
        {stream.error && <ErrorMessage error={stream.error} />}
        <Show loaded={capsules} what="the catalog">
          {(result) => (
            <>
              <table>
                <thead>
                  <tr>
                    <th>Capsule</th>
                    <th>Publisher</th>
                    <th>Version</th>
                    <th>Status</th>
                    <th>Findings</th>
                    <th>Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {result.items.map((listed) => {
                    const c = shownSummary(listed, changed[listed.capsule_id]);
                    return (
                      <tr key={c.capsule_id}>
                        <td>
                          <button type="button" className="link" onClick={() => setSelected(c.capsule_id)}>
                            {c.name || c.capsule_id}
                          </button>
                        </td>
                        <td>{c.publisher}</td>
                        <td>{c.version}</td>
                        <td>
                          <Badge status={c.status} />
                        </td>
                        <td>{c.findings}</td>
                        <td>{formatTime(c.updated_at)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              <Pager page={result.page} size={result.size} total={result.total} onPage={setPage} />
            </>
          )}
        </Show>
      </Section>
      {selected && <CapsuleDetail key={selected} api={api} id={selected} />}
    </>
  );
}

export function Pager({ page, size, total, onPage }: { page: number; size: number; total: number; onPage: (page: number) => void }) {
  const last = Math.max(1, Math.ceil(total / size));
  return (
    <nav className="pager" aria-label="Pages of the list">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {page} of {last} ({formatNumber(total)} in all)
      </span>
      <button type="button" disabled={page >= last} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

function CapsuleDetail({ api, id }: { api: Api; id: string }) {
  const capsule = useLoad(() => api.get<Capsule>(`/v1/marketplace/capsules/${segment(id)}`), [api, id]);
  const [notes, setNotes] = useState('');
  const [error, setError] = useState<Error>();
  const reviewer = api.session.capabilities.includes('marketplace.review');
  const act = (path: string, body: unknown) => {
    setError(undefined);
    api
      .send('POST', `/v1/marketplace/capsules/${segment(id)}/${path}`, body)
      .then(capsule.reload)
      .catch((err: Error) => setError(err));
  };
  return (
    <Section title={`Capsule ${id}`}>
      <Show loaded={capsule} what="the capsule">
        {(c) => (
          <>
            <p>
              <Badge status={c.status} /> {c.name} {c.version} by {c.publisher}
            </p>
            {c.description && <p>{c.description}</p>}
            <h3>Compliance findings ({c.findings.length})</h3>
            {c.findings.length === 0 ? (
              <p>None.</p>
            ) : (
              <ul className="plain">
                {c.findings.map((f, i) => (
                  <li key={i}>
                    <span className={`severity ${f.severity}`}>{f.severity}</span> {f.check}: {f.note}
                  </li>
                ))}
              </ul>
            )}
            <h3>Token summary of your tenant</h3>
            {c.token_summary ? (
              <p>
                {formatNumber(c.token_summary.last_24h.total_tokens)} tokens in the last 24 h,{' '}
                {formatNumber(c.token_summary.last_7d.total_tokens)} in 7 days (as of {formatTime(c.token_summary.as_of)})
              </p>
            ) : (
              <p>Your tenant has not used this capsule.</p>
            )}
            <h3>Review history</h3>
            <ol>
              {c.history.map((h, i) => (
                <li key={i}>
                  {formatTime(h.at)} {h.action}
                  {h.actor && <> by {h.actor}</>}: {h.from_status ?? '—'} → {h.to_status}
                  {h.notes && <> ({h.notes})</>}
                </li>
              ))}
            </ol>
            {reviewer && (
              <div className="inline">
                <label>
                  Notes <input value={notes} onChange={(e) => setNotes(e.target.value)} />
                </label>
                {c.status === 'submitted' && (
                  <button type="button" onClick={() => act('review', { decision: 'start_review', expected_version: c.version })}>
                    Start review
                  </button>
                )}
                {c.status === 'in_review' && (
                  <>
                    <button type="button" onClick={() => act('review', { decision: 'approve', notes, expected_version: c.version })}>
                      Approve
                    </button>
                    <button type="button" onClick={() => act('review', { decision: 'reject', notes, expected_version: c.version })}>
                      Reject
                    </button>
                  </>
                )}
                {c.status === 'approved' && (
                  <button
                    type="button"
                    onClick={() =>
                      // final, and for every tenant: only the version shown, and only once confirmed
                      window.confirm(`Revoke ${c.name || c.capsule_id} version ${c.version} for every tenant? This cannot be undone.`) &&
                      act('revoke', { notes, expected_version: c.version })
                    }
                  >
                    Revoke
                  </button>
                )}
              </div>
            )}
            {error && <ErrorMessage error={error} />}
          </>
        )}
      </Show>
    </Section>
  );
}
