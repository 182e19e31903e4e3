import type { ReactNode } from 'react';
import { unanswered, type PerTenant } from '../api/perTenant';
import type { Loaded } from './useLoad';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

/** The API's own message (its JSON `message`), never a blank page. */
export function ErrorMessage({ error }: { error: Error }) {
  return (
    <p className="error" role="alert">
      {error.message}
    </p>
  );
}

/** The tenants a per-tenant load could not show, and why: beside the others' answers, not instead of them. */
export function Unanswered({ failed }: { failed: PerTenant<unknown>['failed'] }) {
  const missing = unanswered(failed);
  return missing && <ErrorMessage error={missing} />;
}

/** What a load shows: its error, its loading state before the first answer, then its content. */
export function Show<T>({ loaded, what, children }: { loaded: Loaded<T>; what: string; children: (data: T) => ReactNode }) {
  return (
    <>
      {loaded.error && <ErrorMessage error={loaded.error} />}
      {loaded.data === undefined ? !loaded.error && <Loading what={what} /> : children(loaded.data)}
    </>
  );
}

/** A card; it scrolls sideways when what the API returned is wider (long model names), so a keyboard can reach it. */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="card" aria-label={title} tabIndex={0}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** A value against its limit, as the API gives both; the width is the only thing the page derives. */
export function Meter({ label, value, max }: { label: string; value: number; max: number }) {
  const percent = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  return (
    <div className="meter" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={value}>
      <div className={percent >= 80 ? 'meter-fill high' : 'meter-fill'} style={{ width: `${percent}%` }} />
    </div>
  );
}

export function formatNumber(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined
    ? '—'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}
