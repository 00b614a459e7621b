import type { BuiltPart } from '../part-assembler.js';

/**
 * What streamParts feeds the file's bytes into: the PartAssembler itself for CSV, or a format's
 * encoder that turns the CSV rows into its own bytes and feeds those to the assembler.
 */
export interface PartSink {
  /** Bytes `bytes[start, end)` of the CSV stream (the header first when starting from the top). */
  data(bytes: Buffer, start?: number, end?: number): void;
  /** The row whose bytes came last has ended; its key fields are `source[keyStart, keyEnd)`. */
  rowEnd(source: Buffer, keyStart: number, keyEnd: number): void;
  /** Between batches of rows: hash what was written since the last call. */
  sync(): void;
  /** Parts completed since the last call, in order. */
  take(): BuiltPart[];
  /** The file's last part, once the source has ended. */
  finish(): BuiltPart;
}
