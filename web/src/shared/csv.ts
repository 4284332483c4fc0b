/**
 * CSV as spreadsheets write it: RFC 4180 (fields in double quotes may hold the delimiter, line breaks and doubled
 * quotes; CRLF or LF between records) plus what Excel and friends add in practice: a byte order mark, blank
 * lines, a semicolon or tab as delimiter (Dutch Excel writes `;`), and Windows-1252 instead of UTF-8.
 *
 * Every record keeps the line of the file where it starts, so a problem with a record can be named by the line
 * the user sees in an editor (or the row in a spreadsheet), even after blank lines or a quoted line break.
 * What the columns mean is left to callers.
 */

export interface CsvRecord {
  /** 1-based line of the file where the record starts. */
  line: number;
  fields: string[];
}

export interface CsvParse {
  records: CsvRecord[];
  /** The line where a quoted field opens that never closes (the rest of the file is in it), else null. */
  unclosedQuoteLine: number | null;
}

export type CsvDelimiter = ',' | ';' | '\t';
const delimiters: readonly CsvDelimiter[] = [',', ';', '\t'];

/** The delimiter the first non-blank line uses most outside quotes; a comma when it uses none. */
export function detectDelimiter(text: string): CsvDelimiter {
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/).find((line) => line.trim() !== '') ?? '';
  const counts: Record<CsvDelimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const char of firstLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === ',' || char === ';' || char === '\t')) counts[char]++;
  }
  return delimiters.reduce<CsvDelimiter>((best, delimiter) => (counts[delimiter] > counts[best] ? delimiter : best), ',');
}

/**
 * Splits CSV text into records of fields. Blank lines, and lines of only empty fields (a spreadsheet's empty
 * row), are skipped. A line break inside quotes is kept as `\n` whatever the file used.
 */
export function parseCsv(text: string, delimiter: CsvDelimiter = detectDelimiter(text)): CsvParse {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  // Whether the current field opened with a quote: a second quote is then not the start of another.
  let fieldQuoted = false;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;

  const endField = () => {
    fields.push(field);
    field = '';
    fieldQuoted = false;
  };
  const endRecord = () => {
    endField();
    if (fields.some((value) => value.trim() !== '')) records.push({ line: recordLine, fields });
    fields = [];
  };

  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (inQuotes) {
      if (char === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else if (char === '\r' || char === '\n') {
        if (char === '\r' && source[i + 1] === '\n') i++;
        field += '\n';
        line++;
      } else {
        field += char;
      }
      continue;
    }
    if (char === '"' && !fieldQuoted && field.trim() === '') {
      // Spaces before an opening quote (`a, "b"`) are layout, not content.
      field = '';
      inQuotes = true;
      fieldQuoted = true;
      quoteLine = line;
    } else if (char === delimiter) {
      endField();
    } else if (char === '\r' || char === '\n') {
      if (char === '\r' && source[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      // Lenient like spreadsheets: a quote inside an unquoted field, or text after a closing quote, is kept.
      field += char;
    }
  }
  if (inQuotes) return { records, unclosedQuoteLine: quoteLine };
  endRecord();
  return { records, unclosedQuoteLine: null };
}

/** Quotes a field only when it has to: it holds the delimiter, a quote, a line break, or spaces at an end. */
function quoteField(value: string, delimiter: CsvDelimiter): string {
  const needsQuotes = value.includes(delimiter) || /["\r\n]/.test(value) || value.trim() !== value;
  return needsQuotes ? `"${value.replaceAll('"', '""')}"` : value;
}

/** CSV text of rows of fields, CRLF after every record (RFC 4180), readable again by `parseCsv`. */
export function formatCsv(rows: readonly (readonly string[])[], delimiter: CsvDelimiter = ','): string {
  return rows.map((row) => row.map((value) => quoteField(value, delimiter)).join(delimiter) + '\r\n').join('');
}

/**
 * A file's bytes as text: UTF-8 when they are valid UTF-8 (a BOM is dropped), else Windows-1252, which is what
 * Excel on Windows writes for "CSV" without "UTF-8". Guessing the other way round would turn every é of a
 * UTF-8 file into Ã©.
 */
export function decodeCsv(bytes: ArrayBuffer | Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}
