import { describe, expect, it } from 'vitest';
import { toCsv } from './csv';

describe('toCsv', () => {
  it('should quote only the fields that need it and double their quotes', () => {
    expect(toCsv(['id', 'text'], [['a', 'plain'], ['b', 'say "no", then\nstop'], ['c', null]])).toBe(
      'id,text\r\na,plain\r\nb,"say ""no"", then\nstop"\r\nc,\r\n',
    );
  });
});
