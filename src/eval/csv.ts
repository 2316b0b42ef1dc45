/**
 * Small, tolerant CSV reading and writing for GSB sheets that people open in
 * spreadsheet programs: a byte-order mark, CRLF / LF / CR line ends, quoted fields with
 * commas, doubled quotes and line breaks, and `;` or tab delimiters are all accepted.
 */

/** One parsed record and the (1-based) line where it starts, for error messages. */
export interface CsvRecord {
  /** Line number of the record's first character. */
  line: number;
  /** The fields, unquoted. */
  fields: string[];
}

/** Options for {@link parseCsv}. */
export interface ParseCsvOptions {
  /** Field delimiter. @default detected from the first line: `,`, `;` or tab */
  delimiter?: string;
}

function detectDelimiter(text: string): string {
  let inQuotes = false;
  const counts = new Map<string, number>([
    [',', 0],
    [';', 0],
    ['\t', 0],
  ]);
  for (const character of text) {
    if (character === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (character === '\n' || character === '\r')) break;
    else if (!inQuotes && counts.has(character)) counts.set(character, (counts.get(character) ?? 0) + 1);
  }
  let best = ',';
  for (const [delimiter, count] of counts) if (count > (counts.get(best) ?? 0)) best = delimiter;
  return best;
}

/**
 * Parses CSV text into records. Records whose fields are all empty are dropped. A quote
 * inside an unquoted field is kept as a character; an unterminated quoted field runs to
 * the end of the text.
 *
 * @example
 * parseCsv('\uFEFFa,b\r\n"x, ""y""","line 1\nline 2"\r\n');
 * // [{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['x, "y"', 'line 1\nline 2'] }]
 */
export function parseCsv(text: string, options: ParseCsvOptions = {}): CsvRecord[] {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const delimiter = options.delimiter ?? detectDelimiter(source);
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let fieldStarted = false;
  let line = 1;
  let recordLine = 1;
  const endField = () => {
    fields.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    if (fields.some((value) => value !== '')) records.push({ line: recordLine, fields });
    fields = [];
  };
  for (let index = 0; index < source.length; index++) {
    const character = source[index] as string;
    if (inQuotes) {
      if (character === '"') {
        if (source[index + 1] === '"') {
          field += '"';
          index++;
        } else {
          inQuotes = false;
        }
      } else {
        if (character === '\n' || (character === '\r' && source[index + 1] !== '\n')) line++;
        field += character;
      }
      continue;
    }
    if (character === '"' && !fieldStarted) {
      inQuotes = true;
      fieldStarted = true;
    } else if (character === delimiter) {
      endField();
    } else if (character === '\r' || character === '\n') {
      if (character === '\r' && source[index + 1] === '\n') index++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += character;
      fieldStarted = true;
    }
  }
  if (field !== '' || fields.length > 0 || fieldStarted) endRecord();
  return records;
}

function escapeField(value: string): string {
  // Cells starting with = + - @ run as formulas in spreadsheets; a leading ' keeps them text.
  const safe = /^[=+\-@]/.test(value) && !/^[+-]?\d+(?:\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",;\t\r\n]|^\s|\s$/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * Writes rows as CSV with CRLF line ends and a byte-order mark, which spreadsheet
 * programs need to read UTF-8 (CJK) correctly.
 */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return `\uFEFF${rows.map((row) => row.map(escapeField).join(',')).join('\r\n')}\r\n`;
}
