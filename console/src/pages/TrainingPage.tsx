import { useState } from 'react';
import { holds, segment } from '../api/client';
import { perTenant } from '../api/perTenant';
import { Pager, useCursorPages } from '../ui/pager';
import { ErrorMessage, formatTime, Section, Show, Unanswered } from '../ui/parts';
import { useLoad } from '../ui/useLoad';
import type { PageProps } from '.';

/** GET /v1/training/status/{tenant}. */
export interface TrainingState {
  tenant: string;
  enabled: boolean;
  locked_by: string | null;
  locked_by_tenant: string | null;
  locked_at: string | null;
  reason: string | null;
  expires_at?: string | null;
}

interface TrainingLock {
  locked_by: string;
  expires_at: string;
}

/** A row of GET /v1/audit/training: one outcome of a training command or expiry. */
export interface TrainingAudit {
  event_id: string;
  action: string;
  user: string | null;
  timestamp: string;
  details: {
    reason: string | null;
    rejection: string | null;
    previous_lock: TrainingLock | null;
    current_lock: TrainingLock | null;
    /** Absent from records archived before they were recorded. */
    user_tenant?: string | null;
    caller?: string | null;
    caller_tenant?: string | null;
  };
}

/** A user as the API names it, with its tenant when that is not the tenant shown: users are named per tenant. */
export function userOf(name: string | null | undefined, userTenant: string | null | undefined, shown: string): string {
  if (!name) return '—';
  return userTenant && userTenant !== shown ? `${name} (${userTenant})` : name;
}

/** Who a training command acted as and, when someone else sent it (an admin naming a user), who did. */
export function actorOf(a: TrainingAudit, shown: string): string {
  const actedAs = userOf(a.user, a.details.user_tenant, shown);
  const { caller, caller_tenant: callerTenant } = a.details;
  if (!caller || (caller === a.user && (callerTenant ?? shown) === (a.details.user_tenant ?? shown))) return actedAs;
  return `${actedAs}, sent by ${userOf(caller, callerTenant, shown)}`;
}

const TRAIL_PAGE_SIZE = 50;

export function TrainingPage({ api, tenant, tenants }: PageProps) {
  const states = useLoad(
    () => perTenant(tenants, (t) => api.get<TrainingState>(`/v1/training/status/${segment(t)}`)),
    [api, tenants.join()],
    5000,
  );
  const pages = useCursorPages(tenant);
  // refreshed: the archive receives a command's audit record shortly after the command is answered
  const trail = useLoad(
    () => api.get<{ audit: TrainingAudit[]; next_cursor: string | null }>('/v1/audit/training', { tenant, limit: TRAIL_PAGE_SIZE, cursor: pages.cursor, order: 'newest' }),
    [api, tenant, pages.cursor],
    5000,
  );
  const [reason, setReason] = useState('');
  const [hours, setHours] = useState('1');
  const [error, setError] = useState<Error>();
  // extend keeps the lock's holder, start and reason, and moves its end to the TTL from now
  const command = (action: 'enable' | 'extend' | 'disable') => {
    setError(undefined);
    const body = action === 'disable' ? { tenant, reason } : { tenant, reason, ttl_seconds: Math.round(Number(hours) * 3600) };
    api
      .send('POST', `/v1/training/${action}`, body)
      .then(() => {
        states.reload();
        trail.reload();
      })
      .catch((err: Error) => setError(err));
  };
  return (
    <>
      <Section title="Training mode by tenant">
        <Show loaded={states} what="training mode">
          {({ answered: list, failed }) => (
            <>
              <Unanswered failed={failed} />
              <table>
                <thead>
                  <tr>
                    <th>Tenant</th>
                    <th>Mode</th>
                    <th>Held by</th>
                    <th>Since</th>
                    <th>Until</th>
                    <th>Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((s) => (
                    <tr key={s.tenant}>
                      <td>{s.tenant}</td>
                      <td>
                        <span className={s.enabled ? 'badge in_review' : 'badge'}>{s.enabled ? 'training' : 'off'}</span>
                      </td>
                      <td>{userOf(s.locked_by, s.locked_by_tenant, s.tenant)}</td>
                      <td>{formatTime(s.locked_at)}</td>
                      <td>{formatTime(s.expires_at)}</td>
                      <td>{s.reason ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </Show>
      </Section>
      <Section title={`Change ${tenant}`}>
        <form className="inline" onSubmit={(e) => e.preventDefault()}>
          <label>
            Reason <input value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <label>
            For (hours) <input type="number" min={0.1} step={0.1} value={hours} onChange={(e) => setHours(e.target.value)} />
          </label>
          {/* Extend and Disable stay: the lock's holder may use them without training.admin */}
          {holds(api.session, 'training.admin') && (
            <button type="button" onClick={() => command('enable')}>
              Enable
            </button>
          )}
          <button type="button" onClick={() => command('extend')}>
            Extend
          </button>
          <button type="button" onClick={() => command('disable')}>
            Disable
          </button>
        </form>
        {error && <ErrorMessage error={error} />}
      </Section>
      <Section title={`Training audit of ${tenant}`}>
        <Show loaded={trail} what="the training audit">
          {(result) => (
            <>
              <table>
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Action</th>
                    <th>By</th>
                    <th>Reason</th>
                    <th>Lock until</th>
                    <th>Rejection</th>
                  </tr>
                </thead>
                <tbody>
                  {result.audit.map((a) => (
                    <tr key={a.event_id}>
                      <td>{formatTime(a.timestamp)}</td>
                      <td>{a.action}</td>
                      <td>{actorOf(a, tenant)}</td>
                      <td>{a.details.reason ?? '—'}</td>
                      <td>{formatTime(a.details.current_lock?.expires_at)}</td>
                      <td>{a.details.rejection ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pager pages={pages} nextCursor={result.next_cursor} count={result.audit.length} noun="audit records" />
            </>
          )}
        </Show>
      </Section>
    </>
  );
}
