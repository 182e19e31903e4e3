/**
 * RFC 4180 CSV of rows: a field with a comma, quote or line break is quoted, its quotes doubled. A text that a
 * spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return: OWASP's "CSV injection")
 * gets a leading ' so it stays text; the audit holds strings that callers chose, such as session ids. Numbers are
 * written as they are.
 */
export function toCsv(header: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const field = (value: string | number | boolean | null | undefined) => {
    let text = value === null || value === undefined ? '' : String(value);
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [header, ...rows].map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}
