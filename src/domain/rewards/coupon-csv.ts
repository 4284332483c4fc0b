/**
 * Reading an import of existing coupon codes: CSV with a header line naming the columns, `code` (required)
 * and `expiresAt` (optional, RFC 3339). Lines are numbered as in the file, the header being line 1, and every
 * problem names its line as the pointer `/line/N`, so a file with one bad line can be fixed and sent again:
 * the import is all or nothing. Codes are normalised (coupon-code.ts); a code twice in one file is refused at
 * its second line. Blank lines are skipped. Values may be double-quoted.
 */
import { DomainError } from '../errors.js';
import { isWellFormedCouponCode, normaliseCouponCode } from './coupon-code.js';

export const maxCodesPerCall = 10_000;

export interface CouponCsvLine {
  line: number;
  code: string;
  expiresAt: number | null;
}

function fields(text: string): string[] {
  return text.split(',').map((field) => {
    const trimmed = field.trim();
    return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1).replaceAll('""', '"').trim() : trimmed;
  });
}

const lineError = (line: number, detail: string) => DomainError.field('validation_failed', `/line/${line}`, `Line ${line}: ${detail}`);

/**
 * Parses the CSV into normalised codes with their expiry.
 * @throws DomainError validation_failed with the pointer `/line/N` of the first bad line
 */
export function parseCouponCsv(text: string, now: number): CouponCsvLine[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const header = fields(lines[0] ?? '').map((name) => name.toLowerCase());
  const codeAt = header.indexOf('code');
  const expiresAtAt = header.indexOf('expiresat');
  if (codeAt < 0) throw lineError(1, 'the header line names the columns: code, and optionally expiresAt.');
  const unknown = header.find((name) => name !== 'code' && name !== 'expiresat');
  if (unknown !== undefined || new Set(header).size !== header.length) {
    throw lineError(1, `the columns are code and expiresAt, each once${unknown ? `; ${unknown} is not one` : ''}.`);
  }
  const out: CouponCsvLine[] = [];
  const seen = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw.trim() === '') continue;
    const line = i + 1;
    if (out.length === maxCodesPerCall) throw lineError(line, `at most ${maxCodesPerCall} codes per import.`);
    const values = fields(raw);
    if (values.length !== header.length) throw lineError(line, `expected ${header.length} value(s), found ${values.length}.`);
    const code = normaliseCouponCode(values[codeAt] ?? '');
    if (!isWellFormedCouponCode(code)) throw lineError(line, 'a code is 4 to 64 letters or digits (spaces and dashes are ignored).');
    const earlier = seen.get(code);
    if (earlier !== undefined) throw lineError(line, `the code ${code} is also on line ${earlier}.`);
    seen.set(code, line);
    let expiresAt: number | null = null;
    const expiry = expiresAtAt < 0 ? '' : (values[expiresAtAt] ?? '');
    if (expiry !== '') {
      expiresAt = /^\d{4}-\d{2}-\d{2}T/.test(expiry) ? Date.parse(expiry) : Number.NaN;
      if (Number.isNaN(expiresAt)) throw lineError(line, `expiresAt ${expiry} is not an RFC 3339 date-time.`);
      if (expiresAt <= now) throw lineError(line, `expiresAt ${expiry} has already passed.`);
    }
    out.push({ line, code, expiresAt });
  }
  if (out.length === 0) throw lineError(2, 'the file has no codes after its header line.');
  return out;
}
