import { useState } from 'react';
import { segment, type Api } from '../api/client';
import { Chart } from '../ui/Chart';
import { formatNumber, formatTime, Section, Show } from '../ui/parts';
import { SlmAlerts } from '../ui/SlmAlerts';
import { useLoad } from '../ui/useLoad';
import type { PageProps } from '.';

interface Forecast {
  tenant: string;
  provider: string | null;
  model: string | null;
  window_hours: number;
  estimated_tokens: number;
  estimated_cost_usd: number;
  confidence: number;
  lower: number;
  upper: number;
  method: string;
  generated_at: string;
  by_model: Forecast[];
  /** On a by_model entry: its forecast ends before the newest was made, so the totals leave it out. */
  stale?: boolean;
}

interface SlmWindow {
  window_start: string;
  requests: number;
  error_rate: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_p99_ms: number | null;
  ttft_p50_ms: number | null;
  score: number | null;
}

/** The horizons the forecast chart asks the API for, in hours. */
const HORIZONS = [1, 6, 12, 24, 48, 72, 168];

export function ModelsPage({ api, tenant }: PageProps) {
  const forecasts = useLoad(
    () => Promise.all(HORIZONS.map((h) => api.get<Forecast>(`/v1/forecast/${segment(tenant)}`, { window_hours: h }))),
    [api, tenant],
  );
  return (
    <>
      <Section title={`Token forecast of ${tenant}`}>
        <Show loaded={forecasts} what="forecasts">
          {(byHorizon) => {
            const day = byHorizon[HORIZONS.indexOf(24)];
            return (
              <>
                <Chart
                  title="Forecast tokens with their interval"
                  xLabel="horizon (hours)"
                  yLabel="tokens"
                  series={[
                    {
                      name: `all models, confidence ${formatNumber(day.confidence, 2)}`,
                      points: byHorizon.map((f) => ({ x: f.window_hours, y: f.estimated_tokens, lower: f.lower, upper: f.upper })),
                    },
                  ]}
                />
                <Chart
                  title="Forecast cost"
                  xLabel="horizon (hours)"
                  yLabel="USD"
                  yDigits={2}
                  series={[{ name: 'all models', points: byHorizon.map((f) => ({ x: f.window_hours, y: f.estimated_cost_usd })) }]}
                />
                <table aria-label="Forecast by horizon">
                  <thead>
                    <tr>
                      <th>Next (hours)</th>
                      <th>Tokens</th>
                      <th>Interval</th>
                      <th>Cost (USD)</th>
                    </tr>
                  </thead>
                  <tbody>
                    {byHorizon.map((f) => (
                      <tr key={f.window_hours}>
                        <td>{f.window_hours}</td>
                        <td>{formatNumber(f.estimated_tokens)}</td>
                        <td>
                          {formatNumber(f.lower)}–{formatNumber(f.upper)}
                        </td>
                        <td>{formatNumber(f.estimated_cost_usd, 2)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <h3>By model, next 24 h</h3>
                <table aria-label="Forecast by model">
                  <thead>
                    <tr>
                      <th>Provider</th>
                      <th>Model</th>
                      <th>Next 24 h (tokens)</th>
                      <th>Interval</th>
                      <th>Cost (USD)</th>
                      <th>Method</th>
                      <th>Generated</th>
                      <th>In the totals</th>
                    </tr>
                  </thead>
                  <tbody>
                    {day.by_model.map((m) => (
                      <tr key={`${m.provider}/${m.model}`}>
                        <td>{m.provider}</td>
                        <td>{m.model}</td>
                        <td>{formatNumber(m.estimated_tokens)}</td>
                        <td>
                          {formatNumber(m.lower)}–{formatNumber(m.upper)}
                        </td>
                        <td>{formatNumber(m.estimated_cost_usd, 2)}</td>
                        <td>{m.method}</td>
                        <td>{formatTime(m.generated_at)}</td>
                        <td>{m.stale ? 'no: stale, its forecast ended before the newest was made' : 'yes'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <SlmMetrics api={api} models={day.by_model.map((m) => ({ provider: m.provider ?? '', model: m.model ?? '' }))} />
              </>
            );
          }}
        </Show>
      </Section>
    </>
  );
}

/** Latency, TTFT, error rate and score of one model@provider over the last hour of 1-minute windows, and its alerts. */
function SlmMetrics({ api, models }: { api: Api; models: { provider: string; model: string }[] }) {
  const [chosen, setChosen] = useState(0);
  const target = models[chosen];
  const metrics = useLoad(
    () =>
      target
        ? api.get<{ windows: SlmWindow[] }>('/v1/slm/metrics', { model: target.model, provider: target.provider })
        : Promise.resolve({ windows: [] }),
    [api, target?.provider, target?.model],
    10000,
  );
  const at = (w: SlmWindow) => Date.parse(w.window_start);
  const series = (name: string, value: (w: SlmWindow) => number | null, windows: SlmWindow[]) => ({
    name,
    points: windows.filter((w) => value(w) !== null).map((w) => ({ x: at(w), y: value(w)! })),
  });
  return (
    <section aria-label="Serving metrics">
      <h3>Serving metrics</h3>
      <label>
        Model{' '}
        <select value={chosen} onChange={(e) => setChosen(Number(e.target.value))}>
          {models.map((m, i) => (
            <option key={i} value={i}>
              {m.model}@{m.provider}
            </option>
          ))}
        </select>
      </label>
      <Show loaded={metrics} what="serving metrics">
        {({ windows }) =>
          windows.length === 0 ? (
            <p>No serving metrics for this model in the last hour.</p>
          ) : (
            <>
              <Chart
                title="Latency"
                xLabel="window start"
                yLabel="milliseconds"
                series={[
                  series('p50', (w) => w.latency_p50_ms, windows),
                  series('p95', (w) => w.latency_p95_ms, windows),
                  series('p99', (w) => w.latency_p99_ms, windows),
                ]}
              />
              <p>
                Last window ({formatTime(windows[windows.length - 1].window_start)}): {windows[windows.length - 1].requests} requests,
                error rate {formatNumber(windows[windows.length - 1].error_rate, 3)}, TTFT p50{' '}
                {formatNumber(windows[windows.length - 1].ttft_p50_ms)} ms, score {formatNumber(windows[windows.length - 1].score, 3)}
              </p>
            </>
          )
        }
      </Show>
      {target && (
        <SlmAlerts
          key={`${target.model}@${target.provider}`}
          api={api}
          title={`Alerts of ${target.model}@${target.provider}`}
          only={target}
        />
      )}
    </section>
  );
}
