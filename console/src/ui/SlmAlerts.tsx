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

/**
 * The SLM alert stream of the API: every model's, or one model@provider's (the route filters), starting with the
 * alerts the topic still holds (`replay=recent`), so an alert raised before the page opened is shown too.
 */
export function alertStreamUrl(only?: ModelAtProvider): string {
  const url = '/v1/slm/alerts/stream?replay=recent';
  return only ? `${url}&model=${encodeURIComponent(only.model)}&provider=${encodeURIComponent(only.provider)}` : url;
}

/**
 * The SLM app's alerts (SSE), the latest per model, provider and metric; the open ones shown. The stream starts with
 * what the topic still holds; when it held more than the edge replays, a `gap` event says older ones were skipped,
 * and the panel says so.
 */
export function SlmAlerts({ api, title, only }: { api: Api; title: string; only?: ModelAtProvider }) {
  const [latest, setLatest] = useState<Record<string, SlmAlert>>({});
  const [skipped, setSkipped] = useState(false);
  const stream = useStream(api, alertStreamUrl(only), (event) => {
    if (event.event === 'gap') setSkipped(true);
    if (event.event !== 'slm.alert') return;
    const alert = JSON.parse(event.data) as SlmAlert;
    setLatest((all) => ({ ...all, [`${alert.model}@${alert.provider}/${alert.metric}`]: alert }));
  });
  const open = Object.values(latest).filter((a) => a.level !== 'OK');
  return (
    <Section title={title}>
      <p className="status">{stream.live ? 'Live' : 'Connecting…'}</p>
      {stream.error && <ErrorMessage error={stream.error} />}
      {skipped && (
        <p className="status">Some alerts were skipped (older than the stream replays, or while this page fell behind): one may be missing.</p>
      )}
      {open.length === 0 ? (
        <p>No open alert among the latest changes of {Object.keys(latest).length} model metrics.</p>
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
