import { describe, expect, it } from 'vitest';
import { scale } from './chart';

describe('scale', () => {
  it('should draw the line and close the band from upper bounds back along lower bounds', () => {
    const drawn = scale(
      [
        { x: 1, y: 50, lower: 40, upper: 60 },
        { x: 3, y: 100, lower: 80, upper: 120 },
      ],
      200,
      120,
    );
    expect(drawn.yMax).toBe(120);
    expect(drawn.line).toBe('M0,70 L200,20');
    expect(drawn.band).toBe('M0,60 L200,0 L200,40 L0,80 Z');
  });

  it('should put several series on one axis', () => {
    expect(scale([{ x: 0, y: 5 }, { x: 1, y: 10 }], 100, 100, 20).line).toBe('M0,75 L100,50');
  });

  it('should draw a single point and no band without bounds', () => {
    expect(scale([{ x: 5, y: 10 }], 100, 50)).toEqual({ line: 'M0,0', band: '', yMax: 10 });
    expect(scale([], 100, 50)).toEqual({ line: '', band: '', yMax: 0 });
  });
});
