import { describe, expect, it } from 'vitest';
import { parseCsv } from '../shared/csv';
import { failedLinesCsv, lineErrorsOf, maxBulkItems, readBulkFile, type BulkItem } from './bulk-items';

describe('member import file', () => {
  it('maps each line to an item with the filled-in profile fields and a CSV line, leaving empty ones out', () => {
    const file = readBulkFile(
      'member_import',
      'External ID,e-mail,Name,phone,birth_date,locale,points\r\n' +
        'c-1,anna@example.com,"Jansen, Anna",+31 6 1234 5678,1990-04-01,nl,250\r\n' +
        '\r\n' +
        'c-2,,,,,,\r\n' +
        'c-3,bo@example.com,Bo,,,,0\r\n',
    );
    expect(file.problems).toEqual([]);
    expect(file.items).toEqual([
      { externalId: 'c-1', email: 'anna@example.com', name: 'Jansen, Anna', phone: '+31 6 1234 5678', birthDate: '1990-04-01', locale: 'nl', points: 250 },
      { externalId: 'c-2' },
      // An opening balance of 0 is no opening balance.
      { externalId: 'c-3', email: 'bo@example.com', name: 'Bo' },
    ]);
    expect(file.lines).toEqual([2, 4, 5]);
    expect(file.lineCount).toBe(3);
    expect(file.columns).toEqual(['externalId', 'email', 'name', 'phone', 'birthDate', 'locale', 'points']);
  });

  it('reports a missing externalId column once, at the header, and sends nothing', () => {
    const file = readBulkFile('member_import', 'email,name\nanna@example.com,Anna\nbo@example.com,Bo\n');
    expect(file.problems).toEqual([{ line: 1, code: 'missing_column', params: { column: 'externalId' } }]);
    expect(file.items).toEqual([]);
    expect(file.lineCount).toBe(2);
  });

  it('names the line of a points value that is not a whole number, of a negative balance and of a missing externalId', () => {
    const file = readBulkFile('member_import', 'externalId,points\nc-1,10\n\nc-2,12.5\nc-3,1.000\nc-4,-5\n,7\nc-5,abc\n');
    expect(file.problems).toEqual([
      { line: 4, code: 'not_whole_number', params: { value: '12.5' } },
      { line: 5, code: 'not_whole_number', params: { value: '1.000' } },
      { line: 6, code: 'negative_opening_balance', params: { value: '-5' } },
      { line: 7, code: 'missing_value', params: { column: 'externalId' } },
      { line: 8, code: 'not_whole_number', params: { value: 'abc' } },
    ]);
    expect(file.items).toEqual([{ externalId: 'c-1', points: 10 }]);
    expect(file.lines).toEqual([2]);
  });

  it('counts lines after a quoted line break by where each record starts', () => {
    const file = readBulkFile('member_import', 'externalId,name,points\nc-1,"two\nlines",5\nc-2,Bo,x\n');
    expect(file.problems).toEqual([{ line: 4, code: 'not_whole_number', params: { value: 'x' } }]);
  });

  it('reports a member twice, values beyond the header, a repeated column, and lists unknown columns', () => {
    const file = readBulkFile('member_import', 'externalId,email,EMAIL,shoe size\nc-1,a@x.nl,,42\nc-1,b@x.nl,,\nc-2,c@x.nl,,,surplus\n');
    expect(file.problems).toEqual([
      { line: 1, code: 'duplicate_column', params: { column: 'email' } },
      { line: 3, code: 'duplicate_external_id', params: { externalId: 'c-1', firstLine: 2 } },
      { line: 4, code: 'extra_values', params: { count: 5, columns: 4 } },
    ]);
    expect(file.ignoredColumns).toEqual(['shoe size']);
  });

  it('refuses a file with only a header, or an unclosed quote', () => {
    expect(readBulkFile('member_import', 'externalId\n').problems).toEqual([{ line: 1, code: 'no_lines' }]);
    expect(readBulkFile('member_import', 'externalId,name\nc-1,"Anna\nc-2,Bo\n').problems).toContainEqual({ line: 2, code: 'unclosed_quote' });
  });

  it('reads an empty text as nothing to send, without problems', () => {
    const file = readBulkFile('member_import', '  \n\n');
    expect(file).toMatchObject({ items: [], problems: [], lineCount: 0 });
  });

  it(`refuses more than ${maxBulkItems} lines at the first line too many`, () => {
    const text = 'externalId\n' + Array.from({ length: maxBulkItems + 1 }, (_, i) => `c-${i}`).join('\n');
    expect(readBulkFile('member_import', text).problems).toEqual([{ line: maxBulkItems + 2, code: 'too_many_lines', params: { max: maxBulkItems } }]);
  });
});

describe('points adjustment file', () => {
  it('maps externalId, signed points and an optional reason per line', () => {
    const file = readBulkFile('points_adjustment', 'externalId;points;reason\nc-1;+50;\nc-2;-20;"Returned, sorry"\n');
    expect(file.problems).toEqual([]);
    expect(file.items).toEqual([
      { externalId: 'c-1', points: 50 },
      { externalId: 'c-2', points: -20, reason: 'Returned, sorry' },
    ]);
    expect(file.lines).toEqual([2, 3]);
  });

  it('needs a points column and a non-zero whole number on every line', () => {
    expect(readBulkFile('points_adjustment', 'externalId,reason\nc-1,x\n').problems).toEqual([{ line: 1, code: 'missing_column', params: { column: 'points' } }]);
    expect(readBulkFile('points_adjustment', 'externalId,points\nc-1,\nc-2,0\nc-3,2,5\n').problems).toEqual([
      { line: 2, code: 'missing_value', params: { column: 'points' } },
      { line: 3, code: 'zero_points' },
      { line: 4, code: 'extra_values', params: { count: 3, columns: 2 } },
    ]);
  });
});

describe('server field errors', () => {
  it('places /items/N/field on the CSV line of item N, and leaves out errors not about an item', () => {
    const errors = [
      { pointer: '/items/3/points', detail: 'Expected integer' },
      { pointer: '/items/0', detail: 'Unexpected property' },
      { pointer: '/reason', detail: 'A bulk adjustment needs a reason.' },
    ];
    expect(lineErrorsOf(errors, [2, 3, 4, 5])).toEqual([
      { line: 5, field: 'points', detail: 'Expected integer' },
      { line: 2, field: null, detail: 'Unexpected property' },
    ]);
    // With blank lines in the file, the line map (not N + 2) says where the item was.
    expect(lineErrorsOf(errors.slice(0, 1), [2, 4, 7, 9])).toEqual([{ line: 9, field: 'points', detail: 'Expected integer' }]);
    expect(lineErrorsOf(errors.slice(0, 1), [])).toEqual([{ line: 5, field: 'points', detail: 'Expected integer' }]);
  });
});

describe('failed lines download', () => {
  const failed = (line: number, input: Record<string, unknown>, detail: string): BulkItem => ({
    line,
    status: 'failed',
    input,
    result: null,
    problem: { code: 'member_not_found', detail, pointer: null },
    processedAt: '2026-03-14T10:00:00.000Z',
  });

  it('gives the columns sent and the problem, and reads back as the same items', () => {
    const csv = failedLinesCsv('points_adjustment', [
      failed(2, { externalId: 'c-9', points: 50 }, 'No member c-9, in this programme.'),
      failed(5, { externalId: 'c-7', points: -10, reason: 'Broken "cup"' }, 'Only 5 points available.'),
    ]);
    expect(parseCsv(csv).records.map((record) => record.fields)).toEqual([
      ['externalId', 'points', 'reason', 'problem'],
      ['c-9', '50', '', 'No member c-9, in this programme.'],
      ['c-7', '-10', 'Broken "cup"', 'Only 5 points available.'],
    ]);
    const again = readBulkFile('points_adjustment', csv);
    expect(again.problems).toEqual([]);
    expect(again.ignoredColumns).toEqual(['problem']);
    expect(again.items).toEqual([
      { externalId: 'c-9', points: 50 },
      { externalId: 'c-7', points: -10, reason: 'Broken "cup"' },
    ]);
  });
});
