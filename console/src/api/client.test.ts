import { describe, expect, it } from 'vitest';
import { withQuery } from './client';

describe('withQuery', () => {
  it('should leave out undefined and empty parameters and encode the rest', () => {
    expect(withQuery('/v1/marketplace/capsules', { q: 'a b&c', status: undefined, publisher: '', page: 2 })).toBe(
      '/v1/marketplace/capsules?q=a+b%26c&page=2',
    );
    expect(withQuery('/v1/tenants', {})).toBe('/v1/tenants');
  });
});
