/**
 * Splits one row of Postgres's `COPY … (FORMAT csv)` output into its fields, for the encoders that
 * need values rather than bytes (Parquet). The dialect is Postgres's own and fixed: comma, `"` quote
 * doubled inside a quoted field, `\n` after the row, NULL as an empty unquoted field and an empty
 * string as `""`. A general CSV parser (csv-parse) would have to rediscover row boundaries that the
 * COPY protocol already gives (copy-rows.ts) and allocate a record per row; this writes offsets into
 * arrays reused from row to row.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;

/** A field's kind: NULL, plain bytes, or quoted (with `""` escapes to undo when `QUOTED_ESCAPED`). */
export const NULL_FIELD = 0;
export const PLAIN = 1;
export const QUOTED = 2;
export const QUOTED_ESCAPED = 3;

export class CsvFields {
  /** Field i is `row[start[i], end[i])`, quotes excluded; kind[i] says how to read it. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly kind: Uint8Array;

  constructor(readonly count: number) {
    this.start = new Int32Array(count);
    this.end = new Int32Array(count);
    this.kind = new Uint8Array(count);
  }

  /** Splits `bytes[from, to)`, one row ending with its line feed. Throws when it does not hold `count` fields. */
  split(bytes: Buffer, from: number, to: number): void {
    if (to <= from || bytes[to - 1] !== LF) throw new Error('CSV row does not end with a line feed');
    const last = to - 1;
    let pos = from;
    for (let i = 0; i < this.count; i++) {
      if (pos > last) throw new Error(`CSV row has ${i} fields, expected ${this.count}`);
      if (bytes[pos] === QUOTE) {
        let p = pos + 1;
        let escaped = false;
        for (;;) {
          const q = bytes.indexOf(QUOTE, p);
          if (q === -1 || q >= last) throw new Error('CSV row has an unterminated quoted field');
          if (bytes[q + 1] === QUOTE) {
            escaped = true;
            p = q + 2;
            continue;
          }
          this.start[i] = pos + 1;
          this.end[i] = q;
          this.kind[i] = escaped ? QUOTED_ESCAPED : QUOTED;
          pos = q + 1;
          break;
        }
      } else {
        let c = bytes.indexOf(COMMA, pos);
        if (c === -1 || c > last) c = last;
        this.start[i] = pos;
        this.end[i] = c;
        this.kind[i] = c === pos ? NULL_FIELD : PLAIN;
        pos = c;
      }
      const sep = bytes[pos];
      if (i < this.count - 1) {
        if (sep !== COMMA) throw new Error(`CSV row has ${i + 1} fields, expected ${this.count}`);
        pos++;
      } else if (pos !== last) {
        throw new Error(`CSV row has more than ${this.count} fields`);
      }
    }
  }

  /** Field i as text (null for NULL), quotes undone. */
  text(bytes: Buffer, i: number): string | null {
    const kind = this.kind[i];
    if (kind === NULL_FIELD) return null;
    const s = bytes.toString('utf8', this.start[i], this.end[i]);
    return kind === QUOTED_ESCAPED ? s.replaceAll('""', '"') : s;
  }
}
