/**
 * Finds row boundaries in the CSV that Postgres's COPY writes, and strips the leading key columns the
 * query adds for the cursor. It never copies or re-encodes a value: it hands on byte ranges of COPY's
 * own output, which is what keeps the hot path near COPY speed.
 *
 * A row ends at a line feed outside quotes. Quote parity alone decides "outside": RFC 4180 doubles an
 * embedded quote, so `""` toggles twice and leaves parity unchanged.
 */

/** A row's key fields, or a function that decodes them on demand (the framer's, to skip per-row strings). */
export type KeyFields = readonly string[] | (() => readonly string[]);

export const resolveKey = (k: KeyFields): readonly string[] => (typeof k === 'function' ? k() : k);

export interface FramerSink {
  /** Bytes `chunk[start, end)` of the file, in order (key columns already removed). */
  data(chunk: Buffer, start?: number, end?: number): void;
  /**
   * Called right after the last byte (the `\n`) of a row went to `data`. The framer passes a function
   * that decodes this row's key; it stays valid until the next row ends.
   */
  rowEnd(key: KeyFields): void;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const MAX_KEY_BYTES = 256;

export class CsvRowFramer {
  private inQuotes = false;
  private atRowStart = true;
  private keyFieldsLeft = 0;
  // Key bytes of the row being read and of the last row that ended, as `f1,f2`; swapped at each row
  // end. Decoding only when asked (at part boundaries) saves two strings per row on the hot path.
  private curKey = Buffer.allocUnsafe(MAX_KEY_BYTES);
  private curKeyLen = 0;
  private lastKey = Buffer.allocUnsafe(MAX_KEY_BYTES);
  private lastKeyLen = 0;
  private readonly lastKeyFields = (): readonly string[] =>
    this.keyColumns === 0 ? [] : this.lastKey.toString('latin1', 0, this.lastKeyLen).split(',');

  constructor(private readonly keyColumns: number) {}

  private appendKey(chunk: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.curKeyLen + n > MAX_KEY_BYTES) throw new Error('row key columns longer than expected');
    chunk.copy(this.curKey, this.curKeyLen, start, end);
    this.curKeyLen += n;
  }

  push(chunk: Buffer, sink: FramerSink): void {
    const len = chunk.length;
    let pos = 0;
    // Cached position of the next LF at or after `pos` (len when none): rows hold many quotes, and
    // re-searching for the line feed after each one would rescan the same bytes.
    let nextLf = -1;
    while (pos < len) {
      if (this.atRowStart) {
        this.atRowStart = false;
        this.keyFieldsLeft = this.keyColumns;
        this.curKeyLen = 0;
      }
      while (this.keyFieldsLeft > 0) {
        // Key columns are numbers and timestamps: never quoted, never holding a comma.
        const comma = chunk.indexOf(COMMA, pos);
        if (comma === -1) {
          this.appendKey(chunk, pos, len);
          return;
        }
        this.keyFieldsLeft--;
        // Keep the separating comma between key fields, not the one that ends the last.
        this.appendKey(chunk, pos, this.keyFieldsLeft > 0 ? comma + 1 : comma);
        pos = comma + 1;
      }
      const start = pos;
      let rowDone = false;
      while (pos < len) {
        if (this.inQuotes) {
          const q = chunk.indexOf(QUOTE, pos);
          if (q === -1) {
            pos = len;
            break;
          }
          this.inQuotes = false;
          pos = q + 1;
        } else {
          if (nextLf < pos) {
            nextLf = chunk.indexOf(LF, pos);
            if (nextLf === -1) nextLf = len;
          }
          const q = chunk.indexOf(QUOTE, pos);
          if (nextLf < len && (q === -1 || nextLf < q)) {
            pos = nextLf + 1;
            rowDone = true;
            break;
          }
          if (q === -1) {
            pos = len;
            break;
          }
          this.inQuotes = true;
          pos = q + 1;
        }
      }
      if (pos > start) sink.data(chunk, start, pos);
      if (rowDone) {
        [this.lastKey, this.curKey] = [this.curKey, this.lastKey];
        this.lastKeyLen = this.curKeyLen;
        sink.rowEnd(this.lastKeyFields);
        this.atRowStart = true;
      }
    }
  }

  /** Throws when the stream stopped inside a row: a truncated COPY must never become a file. */
  end(): void {
    if (!this.atRowStart || this.inQuotes) {
      throw new Error('COPY stream ended in the middle of a row');
    }
  }
}
