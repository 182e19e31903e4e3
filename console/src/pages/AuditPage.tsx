import { useState } from 'react';
import { toCsv } from '../api/csv';
import { Pager, useCursorPages } from '../ui/pager';
import { formatNumber, formatTime, Section, Show } from '../ui/parts';
import { useLoad } from '../ui/useLoad';
import type { PageProps } from '.';

interface Decision {
  decision_id: string;
  session_id?: string;
  tenant: string;
  decision: string;
  score: number;
  severity: string;
  violations: { name: string }[];
  constitution_version: string | null;
  evaluated_at: string;
}

const PAGE_SIZE = 50;
const COLUMNS = ['evaluated_at', 'decision_id', 'session_id', 'decision', 'score', 'severity', 'violations', 'constitution_version'];

export function AuditPage({ api, tenant }: PageProps) {
  const [decision, setDecision] = useState('');
  // another outcome starts its own walk from the newest page
  const pages = useCursorPages(`${tenant}/${decision}`);
  const page = useLoad(
    () =>
      api.get<{ decisions: Decision[]; next_cursor: string | null }>('/v1/audit/decisions', {
        tenant,
        limit: PAGE_SIZE,
        cursor: pages.cursor,
        order: 'newest',
        decision,
      }),
    [api, tenant, pages.cursor, decision],
  );
  const rows = page.data?.decisions ?? [];
  const exportCsv = () => {
    const csv = toCsv(
      COLUMNS,
      rows.map((d) => [d.evaluated_at, d.decision_id, d.session_id, d.decision, d.score, d.severity, d.violations.map((v) => v.name).join(' '), d.constitution_version]),
    );
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
    link.download = `decisions-${tenant}${decision === '' ? '' : `-${decision}`}-page-${pages.number}.csv`;
    link.click();
    URL.revokeObjectURL(link.href);
  };
  return (
    <Section title={`Decisions of ${tenant}`}>
      <form className="inline" onSubmit={(e) => e.preventDefault()}>
        <label>
          Decision{' '}
          <select value={decision} onChange={(e) => setDecision(e.target.value)}>
            <option value="">any</option>
            {['allow', 'deny', 'redact', 'review'].map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={exportCsv} disabled={rows.length === 0}>
          Export this page as CSV
        </button>
      </form>
      <Show loaded={page} what="decisions">
        {(result) => (
          <>
            <table>
              <thead>
                <tr>
                  <th>Evaluated</th>
                  <th>Session</th>
                  <th>Decision</th>
                  <th>Score</th>
                  <th>Severity</th>
                  <th>Rules matched</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <tr key={d.decision_id}>
                    <td>{formatTime(d.evaluated_at)}</td>
                    <td className="mono">{d.session_id}</td>
                    <td>
                      <span className={`badge ${d.decision === 'allow' ? 'approved' : 'rejected'}`}>{d.decision}</span>
                    </td>
                    <td>{formatNumber(d.score, 3)}</td>
                    <td>{d.severity}</td>
                    <td>{d.violations.map((v) => v.name).join(', ') || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager pages={pages} nextCursor={result.next_cursor} count={result.decisions.length} noun="decisions" />
          </>
        )}
      </Show>
    </Section>
  );
}
