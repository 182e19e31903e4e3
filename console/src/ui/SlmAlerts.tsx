import { useState } from 'react';
import type { Api } from '../api/client';
import { ErrorMessage, formatNumber, formatTime, Section } from './parts';
import { useStream } from './useStream';

interface SlmAlert {
  alert_id: string;
  model: string;
  provider: string;
  metric: string;
  level: string;
  value: number;
  threshold: number | null;
  raised_at: string;
  message: string;
}

export interface ModelAtProvider {
  model: string;
  provider: string;
}

/** The SLM alert stream of the API: every model's, or one model@provider's (the route filters). */
export function alertStreamUrl(only?: ModelAtProvider): string {
  const url = '/v1/slm/alerts/stream';
  return only ? `${url}?model=${encodeURIComponent(only.model)}&provider=${encodeURIComponent(only.provider)}` : url;
}

/**
 * The SLM app's alerts as they are raised (SSE), the latest per model, provider and metric; the open ones shown. The
 * stream starts live, so what it shows is what changed since the page opened, and it says so.
 */
export function SlmAlerts({ api, title, only }: { api: Api; title: string; only?: ModelAtProvider }) {
  const [latest, setLatest] = useState<Record<string, SlmAlert>>({});
  const stream = useStream(api, alertStreamUrl(only), (event) => {
    if (event.event !== 'slm.alert') return;
    const alert = JSON.parse(event.data) as SlmAlert;
    setLatest((all) => ({ ...all, [`${alert.model}@${alert.provider}/${alert.metric}`]: alert }));
  });
  const open = Object.values(latest).filter((a) => a.level !== 'OK');
  return (
    <Section title={title}>
      <p className="status">{stream.live ? 'Live' : 'Connecting…'}</p>
      {stream.error && <ErrorMessage error={stream.error} />}
      {open.length === 0 ? (
        // the stream starts live: an alert raised before the page opened shows only once its level changes again
        <p>
          No open alert among the {Object.keys(latest).length} changes received since this page opened (an alert raised
          before shows once its level changes).
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Model</th>
              <th>Metric</th>
              <th>Level</th>
              <th>Value</th>
              <th>Raised</th>
            </tr>
          </thead>
          <tbody>
            {open.map((a) => (
              <tr key={a.alert_id}>
                <td>
                  {a.model}@{a.provider}
                </td>
                <td>{a.metric}</td>
                <td className={`level ${a.level.toLowerCase()}`}>{a.level}</td>
                <td>{formatNumber(a.value, 3)}</td>
                <td>{formatTime(a.raised_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}
