import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';
import type { ColumnSpec } from '../tables.js';
import { daysFromCivil, unscaledDecimal } from './parquet-columns.js';
import { NULL_FIELD, QUOTED_ESCAPED, type CsvFields } from './pg-csv-fields.js';

/**
 * One row group's columns as Arrow buffers, filled straight from the bytes of Postgres's CSV: a string
 * is copied byte for byte (doubled quotes undone), a timestamp, date, integer or decimal is read from
 * its digits into its fixed-width slot. No JavaScript value per field: that is what made the earlier
 * JavaScript writer cost several times the COPY (docs/BENCHMARKS.md, "Parquet through Arrow").
 *
 * The values are the ones parquet-columns.ts describes (TIMESTAMP(MICROS, UTC), DATE, INT64,
 * DECIMAL(38, 9), UTF-8 strings); a value those types cannot hold is refused the same way.
 */

// Loaded on first use: a worker that never writes Parquet never loads Arrow (or the wasm writer).
const require = createRequire(import.meta.url);
let arrowModule: typeof Arrow | null = null;
export function arrow(): typeof Arrow {
  return (arrowModule ??= require('apache-arrow') as typeof Arrow);
}

type Refuse = (why: string) => never;

const DIGIT0 = 0x30;
const MINUS = 0x2d;
const DOT = 0x2e;
const QUOTE = 0x22;
const TWO_32 = 4294967296;
// Below these, the value and its product by 10^6 (or 10^9) stay exact in a double.
const SAFE_SECONDS = 9_007_199_254;
const SAFE_DECIMAL_INTEGER = 9_007_199;

const digits = (b: Buffer, at: number, n: number): number => {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 10 + (b[at + k]! - DIGIT0);
  return v;
};

/** A byte buffer that doubles when full, with 32- and 64-bit views over the same memory. */
class Bytes {
  u8 = new Uint8Array(64 * 1024);
  i32 = new Int32Array(this.u8.buffer);
  i64 = new BigInt64Array(this.u8.buffer);
  length = 0;

  reserve(extra: number): void {
    if (this.length + extra <= this.u8.length) return;
    let size = this.u8.length * 2;
    while (size < this.length + extra) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.u8.subarray(0, this.length));
    this.u8 = bigger;
    this.i32 = new Int32Array(bigger.buffer);
    this.i64 = new BigInt64Array(bigger.buffer);
  }
}

/** Writes a 64-bit two's complement integer that a double holds exactly, little-endian, at 32-bit word `w`. */
function putSafe64(i32: Int32Array, w: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  i32[w] = (v - hi * TWO_32) | 0;
  i32[w + 1] = hi;
}

export type ArrowKind = 'utf8' | 'timestamp' | 'date' | 'int64' | 'decimal';

const KIND: Record<ColumnSpec['type'], ArrowKind> = {
  string: 'utf8',
  uuid: 'utf8',
  ip: 'utf8',
  json: 'utf8',
  timestamp: 'timestamp',
  date: 'date',
  int64: 'int64',
  decimal: 'decimal',
};

const WIDTH: Record<ArrowKind, number> = { utf8: 0, timestamp: 8, date: 4, int64: 8, decimal: 16 };

export class ArrowColumn {
  readonly kind: ArrowKind;
  private readonly width: number;
  private valid = new Uint8Array(1024);
  private offsets = new Int32Array(1024);
  private readonly data = new Bytes();
  private nulls = 0;
  length = 0;

  constructor(readonly spec: ColumnSpec) {
    this.kind = KIND[spec.type];
    this.width = WIDTH[this.kind];
  }

  arrowType(): Arrow.DataType {
    const A = arrow();
    switch (this.kind) {
      case 'utf8':
        return new A.Utf8();
      case 'timestamp':
        return new A.TimestampMicrosecond('UTC');
      case 'date':
        return new A.DateDay();
      case 'int64':
        return new A.Int64();
      case 'decimal':
        return new A.Decimal(9, 38, 128);
    }
  }

  /** Appends field `i` of the row split in `f` (over `b`); `refuse` throws the row's refusal. */
  push(b: Buffer, f: CsvFields, i: number, refuse: Refuse): void {
    const row = this.length;
    if (row + 1 >= this.offsets.length) this.grow();
    const s = f.start[i]!;
    const e = f.end[i]!;
    const kind = f.kind[i];
    const data = this.data;
    if (kind === NULL_FIELD) {
      this.nulls++;
      if (this.width === 0) this.offsets[row + 1] = data.length;
      else {
        data.reserve(this.width);
        data.u8.fill(0, data.length, data.length + this.width);
        data.length += this.width;
      }
      this.length++;
      return;
    }
    this.valid[row >> 3]! |= 1 << (row & 7);
    switch (this.kind) {
      case 'utf8': {
        data.reserve(e - s);
        const u8 = data.u8;
        let n = data.length;
        if (kind === QUOTED_ESCAPED) {
          for (let k = s; k < e; k++) {
            const c = b[k]!;
            u8[n++] = c;
            if (c === QUOTE) k++;
          }
        } else if (e - s > 48) {
          b.copy(u8, n, s, e);
          n += e - s;
        } else for (let k = s; k < e; k++) u8[n++] = b[k]!;
        data.length = n;
        this.offsets[row + 1] = n;
        break;
      }
      case 'timestamp':
        this.putTimestamp(b, s, e);
        break;
      case 'date': {
        if (e - s !== 10) throw new Error(`unexpected date text ${JSON.stringify(b.toString('utf8', s, e))}`);
        data.reserve(4);
        data.i32[data.length >> 2] = daysFromCivil(digits(b, s, 4), digits(b, s + 5, 2), digits(b, s + 8, 2));
        data.length += 4;
        break;
      }
      case 'int64':
        this.putInt64(b, s, e);
        break;
      case 'decimal':
        this.putDecimal(b, s, e, refuse);
        break;
    }
    this.length++;
  }

  // `YYYY-MM-DDTHH:MM:SS.ffffffZ`: tables.ts renders every timestamp in exactly this form.
  private putTimestamp(b: Buffer, s: number, e: number): void {
    if (e - s !== 27) throw new Error(`unexpected timestamp text ${JSON.stringify(b.toString('utf8', s, e))}`);
    const days = daysFromCivil(digits(b, s, 4), digits(b, s + 5, 2), digits(b, s + 8, 2));
    const seconds = days * 86400 + digits(b, s + 11, 2) * 3600 + digits(b, s + 14, 2) * 60 + digits(b, s + 17, 2);
    const micros = digits(b, s + 20, 6);
    const data = this.data;
    data.reserve(8);
    if (Math.abs(seconds) < SAFE_SECONDS) putSafe64(data.i32, data.length >> 2, seconds * 1_000_000 + micros);
    else data.i64[data.length >> 3] = BigInt(seconds) * 1_000_000n + BigInt(micros);
    data.length += 8;
  }

  private putInt64(b: Buffer, s: number, e: number): void {
    const data = this.data;
    data.reserve(8);
    const neg = b[s] === MINUS;
    const from = neg ? s + 1 : s;
    let plain = e - from > 0 && e - from <= 15;
    for (let k = from; plain && k < e; k++) plain = b[k]! >= DIGIT0 && b[k]! <= DIGIT0 + 9;
    if (plain) {
      const v = digits(b, from, e - from);
      putSafe64(data.i32, data.length >> 2, neg ? -v : v);
    } else data.i64[data.length >> 3] = BigInt(b.toString('latin1', s, e));
    data.length += 8;
  }

  /** DECIMAL(38, 9) as Arrow's 128-bit little-endian two's complement of the unscaled value. */
  private putDecimal(b: Buffer, s: number, e: number, refuse: Refuse): void {
    const data = this.data;
    data.reserve(16);
    const w = data.length >> 2;
    // Fast path: `-?digits(.digits)?` with at most 9 fraction digits and a small integer part.
    const neg = b[s] === MINUS;
    let k = neg ? s + 1 : s;
    let whole = 0;
    let wholeDigits = 0;
    for (; k < e && b[k] !== DOT; k++) {
      const d = b[k]! - DIGIT0;
      if (d < 0 || d > 9) break;
      whole = whole * 10 + d;
      wholeDigits++;
    }
    let frac = 0;
    let fracDigits = 0;
    let ok = wholeDigits > 0 && whole < SAFE_DECIMAL_INTEGER;
    if (ok && k < e) {
      ok = b[k] === DOT && e - k - 1 > 0 && e - k - 1 <= 9;
      for (k++; ok && k < e; k++) {
        const d = b[k]! - DIGIT0;
        ok = d >= 0 && d <= 9;
        frac = frac * 10 + d;
        fracDigits++;
      }
    }
    if (ok) {
      const unscaled = whole * 1e9 + frac * 10 ** (9 - fracDigits);
      const v = neg ? -unscaled : unscaled;
      putSafe64(data.i32, w, v);
      const sign = v < 0 ? -1 : 0;
      data.i32[w + 2] = sign;
      data.i32[w + 3] = sign;
    } else {
      const unscaled = BigInt.asUintN(128, unscaledDecimal(b.toString('latin1', s, e), refuse));
      data.i64[w >> 1] = BigInt.asIntN(64, unscaled);
      data.i64[(w >> 1) + 1] = BigInt.asIntN(64, unscaled >> 64n);
    }
    data.length += 16;
  }

  private grow(): void {
    const offsets = new Int32Array(this.offsets.length * 2);
    offsets.set(this.offsets);
    this.offsets = offsets;
    const valid = new Uint8Array(this.valid.length * 2);
    valid.set(this.valid);
    this.valid = valid;
  }

  /** The column's Arrow data, viewing this column's buffers: turn it into bytes before reset(). */
  toData(): Arrow.Data {
    const A = arrow();
    const length = this.length;
    const nullBitmap = this.nulls > 0 ? this.valid.subarray(0, (length + 7) >> 3) : undefined;
    const type = this.arrowType();
    const buffer = this.data.u8.buffer;
    const base = { length, nullCount: this.nulls, nullBitmap };
    switch (this.kind) {
      case 'utf8':
        return A.makeData({
          ...base,
          type: type as Arrow.Utf8,
          valueOffsets: this.offsets.subarray(0, length + 1),
          data: this.data.u8.subarray(0, this.data.length),
        });
      case 'date':
        return A.makeData({ ...base, type: type as Arrow.DateDay, data: new Int32Array(buffer, 0, length) });
      case 'decimal':
        return A.makeData({ ...base, type: type as Arrow.Decimal, data: new Uint32Array(buffer, 0, length * 4) });
      case 'timestamp':
        return A.makeData({ ...base, type: type as Arrow.TimestampMicrosecond, data: new BigInt64Array(buffer, 0, length) });
      case 'int64':
        return A.makeData({ ...base, type: type as Arrow.Int64, data: new BigInt64Array(buffer, 0, length) });
    }
  }

  reset(): void {
    this.valid.fill(0, 0, (this.length + 7) >> 3);
    this.nulls = 0;
    this.data.length = 0;
    this.length = 0;
  }
}
