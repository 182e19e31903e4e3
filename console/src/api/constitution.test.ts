import { describe, expect, it } from 'vitest';
import { activeRoute, historyRoute, parseBundle } from './constitution';

describe('publishing a constitution', () => {
  it('should read the active global constitution, or a tenant bundle from its tenant hash', () => {
    expect(activeRoute('global')).toBe('/v1/constitution');
    expect(activeRoute('team a/b')).toBe('/v1/constitution/team%20a%2Fb/hash');
  });

  it("should read the history of the global constitution, or of a tenant's own", () => {
    expect(historyRoute('global')).toBe('/v1/constitution/history');
    expect(historyRoute('team a/b')).toBe('/v1/constitution/team%20a%2Fb/history');
  });

  it('should send a bundle as pasted, its numbers as signed', () => {
    // parsed and written again, the weight would be 1 and the document would no longer hash as signed
    const pasted = '{"version": "1.0.1", "document": {"rules": [{"weight": 1.0}]}}';
    expect(parseBundle(pasted).text).toBe(pasted);
  });

  it('should say what is wrong with text that is not one bundle', () => {
    expect(() => parseBundle('{"version": ')).toThrow(/^The bundle is not JSON: /);
    expect(() => parseBundle('[{"version": "1"}]')).toThrow(/one JSON object/);
    expect(() => parseBundle('null')).toThrow(/one JSON object/);
  });
});
