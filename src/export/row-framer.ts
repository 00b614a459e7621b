/**
 * Finds row boundaries in the CSV that Postgres's COPY writes, and strips the leading key columns the
 * query adds for the cursor. It never copies or re-encodes a value: the bytes it passes on are slices
 * of COPY's own output, which is what keeps the hot path near COPY speed.
 *
 * A row ends at a line feed outside quotes. Quote parity alone decides "outside": RFC 4180 doubles an
 * embedded quote, so `""` toggles twice and leaves parity unchanged.
 */
export interface FramerSink {
  /** Bytes of the file, in order (key columns already removed). */
  data(bytes: Buffer): void;
  /** Called right after the last byte (the `\n`) of a row went to `data`, with the row's key fields. */
  rowEnd(key: readonly string[]): void;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;

export class CsvRowFramer {
  private inQuotes = false;
  private atRowStart = true;
  private keyFieldsLeft = 0;
  private partialKey = '';
  private key: string[] = [];

  constructor(private readonly keyColumns: number) {}

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
        this.key = [];
      }
      while (this.keyFieldsLeft > 0) {
        // Key columns are numbers and timestamps: never quoted, never holding a comma.
        const comma = chunk.indexOf(COMMA, pos);
        if (comma === -1) {
          this.partialKey += chunk.toString('latin1', pos, len);
          return;
        }
        this.key.push(this.partialKey + chunk.toString('latin1', pos, comma));
        this.partialKey = '';
        pos = comma + 1;
        this.keyFieldsLeft--;
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
      if (pos > start) sink.data(chunk.subarray(start, pos));
      if (rowDone) {
        sink.rowEnd(this.key);
        this.atRowStart = true;
      }
    }
  }

  /** Throws when the stream stopped inside a row: a truncated COPY must never become a file. */
  end(): void {
    if (!this.atRowStart || this.inQuotes || this.partialKey !== '') {
      throw new Error('COPY stream ended in the middle of a row');
    }
  }
}
