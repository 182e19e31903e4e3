import { scale, top, type Point } from './chart';
import { formatNumber } from './parts';

export interface Series {
  name: string;
  points: Point[];
}

const WIDTH = 560;
const HEIGHT = 180;

/** Lines (and interval bands) over a shared y axis from 0; {@code yDigits}: the axis top's decimals (2 for USD). */
export function Chart({
  title,
  series,
  xLabel,
  yLabel,
  yDigits = 0,
}: {
  title: string;
  series: Series[];
  xLabel: string;
  yLabel: string;
  yDigits?: number;
}) {
  const yMax = top(series.flatMap((s) => s.points));
  const drawn = series.map((s) => ({ name: s.name, ...scale(s.points, WIDTH, HEIGHT, yMax) }));
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={title}>
        {drawn.map((d, i) => (
          <g key={d.name} className={`series s${i}`}>
            {d.band && <path className="band" d={d.band} />}
            <path className="line" d={d.line} />
          </g>
        ))}
      </svg>
      <figcaption>
        {title}: {yLabel} (0 to {formatNumber(yMax, yDigits)}) by {xLabel}.{' '}
        {drawn.map((d, i) => (
          <span key={d.name} className={`legend s${i}`}>
            {d.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
