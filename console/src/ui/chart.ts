/** One x of a chart: the value and, for a band, its interval; all as the API gave them. */
export interface Point {
  x: number;
  y: number;
  lower?: number;
  upper?: number;
}

export interface Scaled {
  /** SVG path of the line through the values. */
  line: string;
  /** SVG path of the closed interval band (upper bounds left to right, lower bounds back), empty without bounds. */
  band: string;
  yMax: number;
}

/** The largest value or bound: the top of a y axis from 0. */
export function top(points: Point[]): number {
  return Math.max(0, ...points.map((p) => Math.max(p.y, p.upper ?? p.y)));
}

/**
 * Maps points onto a width × height drawing, y growing upwards from 0 to {@code yTop} (the points' own top unless
 * several series share an axis), x spread over the points' range. Only positions are computed here; every number
 * shown as text is the API's.
 */
export function scale(points: Point[], width: number, height: number, yTop = top(points)): Scaled {
  if (points.length === 0) return { line: '', band: '', yMax: 0 };
  const xs = points.map((p) => p.x);
  const xMin = Math.min(...xs);
  const xSpan = Math.max(...xs) - xMin || 1;
  const yMax = yTop || 1;
  const px = (x: number) => round(((x - xMin) / xSpan) * width);
  const py = (y: number) => round(height - (y / yMax) * height);
  const path = (pairs: [number, number][]) => pairs.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x)},${py(y)}`).join(' ');
  const line = path(points.map((p) => [p.x, p.y]));
  const bounded = points.filter((p) => p.lower !== undefined && p.upper !== undefined);
  const band =
    bounded.length === 0
      ? ''
      : `${path([...bounded.map((p): [number, number] => [p.x, p.upper!]), ...[...bounded].reverse().map((p): [number, number] => [p.x, p.lower!])])} Z`;
  return { line, band, yMax };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
