import { describe, expect, it } from 'vitest';
import { decodeCsv, detectDelimiter, formatCsv, parseCsv } from './csv';

const fieldsOf = (text: string) => parseCsv(text).records.map((record) => record.fields);
const linesOf = (text: string) => parseCsv(text).records.map((record) => record.line);

describe('parseCsv', () => {
  it('splits records on LF and on CRLF, and keeps a last record without a line break', () => {
    expect(fieldsOf('a,b\n1,2\n')).toEqual([['a', 'b'], ['1', '2']]);
    expect(fieldsOf('a,b\r\n1,2\r\n3,4')).toEqual([['a', 'b'], ['1', '2'], ['3', '4']]);
  });

  it('keeps commas, doubled quotes and line breaks inside quoted fields', () => {
    const text = 'name,note\r\n"Jansen, Anna","She said ""hi"""\r\n"two\r\nlines","x\ny"\r\n';
    expect(fieldsOf(text)).toEqual([
      ['name', 'note'],
      ['Jansen, Anna', 'She said "hi"'],
      ['two\nlines', 'x\ny'],
    ]);
  });

  it('keeps empty fields, quoted empty fields and a trailing empty field', () => {
    expect(fieldsOf('a,b,c\n1,,3\n"",2,\n')).toEqual([['a', 'b', 'c'], ['1', '', '3'], ['', '2', '']]);
  });

  it('drops a byte order mark', () => {
    expect(fieldsOf('\uFEFFexternalId,points\nc-1,5')).toEqual([['externalId', 'points'], ['c-1', '5']]);
  });

  it('skips blank lines and rows of only empty fields, and numbers records by the line they start on', () => {
    const text = '\nexternalId,points\n\nc-1,5\n,,\n"multi\nline",7\n   \nc-3,9\n';
    expect(fieldsOf(text)).toEqual([['externalId', 'points'], ['c-1', '5'], ['multi\nline', '7'], ['c-3', '9']]);
    expect(linesOf(text)).toEqual([2, 4, 6, 9]);
  });

  it('counts a quoted CRLF as one line', () => {
    expect(linesOf('h\r\n"a\r\nb"\r\nc\r\n')).toEqual([1, 2, 4]);
  });

  it('names the line where a quote opens that never closes', () => {
    const parsed = parseCsv('a,b\n1,2\n3,"never\nclosed\n');
    expect(parsed.unclosedQuoteLine).toBe(3);
    expect(parsed.records.map((record) => record.fields)).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('keeps a quote inside an unquoted field as text, and ignores spaces before an opening quote', () => {
    expect(fieldsOf('a,b\n5" pizza, "x, y"\n')).toEqual([['a', 'b'], ['5" pizza', 'x, y']]);
  });

  it('reads semicolon and tab separated files, as Dutch Excel and copies from a spreadsheet give', () => {
    expect(fieldsOf('externalId;points\nc-1;"1,5"\n')).toEqual([['externalId', 'points'], ['c-1', '1,5']]);
    expect(fieldsOf('externalId\tpoints\nc-1\t5\n')).toEqual([['externalId', 'points'], ['c-1', '5']]);
  });
});

describe('detectDelimiter', () => {
  it('takes the delimiter the header uses most outside quotes, a comma when there is none', () => {
    expect(detectDelimiter('a,b,c\n')).toBe(',');
    expect(detectDelimiter('\n\na;b;c\n1,2')).toBe(';');
    expect(detectDelimiter('"a;b",c\n')).toBe(',');
    expect(detectDelimiter('a\tb\n')).toBe('\t');
    expect(detectDelimiter('externalId\n')).toBe(',');
  });
});

describe('formatCsv', () => {
  it('quotes only what needs quotes and ends every record with CRLF', () => {
    expect(formatCsv([['a', 'b'], ['plain', 'with, comma'], ['say "hi"', 'two\nlines'], [' padded', '']])).toBe(
      'a,b\r\nplain,"with, comma"\r\n"say ""hi""","two\nlines"\r\n" padded",\r\n',
    );
  });

  it('is read back by parseCsv to the same fields', () => {
    const rows = [['externalId', 'reason'], ['c-1', 'Sorry, "really"'], ['c-2', 'line\nbreak'], ['c-3', '']];
    expect(fieldsOf(formatCsv(rows))).toEqual(rows);
  });
});

describe('decodeCsv', () => {
  it('reads UTF-8, and falls back to Windows-1252 for bytes that are not UTF-8', () => {
    expect(decodeCsv(new TextEncoder().encode('naam\nJosé'))).toBe('naam\nJosé');
    expect(decodeCsv(new Uint8Array([0x4a, 0x6f, 0x73, 0xe9]))).toBe('José');
  });
});
