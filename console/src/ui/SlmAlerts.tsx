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

/** The SLM app's alerts as they are raised (SSE), the latest per model, provider and metric; the open ones shown. */
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
        <p>No open alert among {Object.keys(latest).length} received.</p>
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
