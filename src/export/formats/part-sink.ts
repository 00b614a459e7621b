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
  /**
   * An encoder that works off the main thread: between batches, hands the assembler what is done
   * and waits while too much is still in flight; `final` (the source has ended) waits for all of it.
   * Called before take() and before finish().
   */
  flush?(final: boolean): Promise<void>;
  /** Parts completed since the last call, in order. */
  take(): BuiltPart[];
  /** The file's last part, once the source has ended (and flush(true) has returned). */
  finish(): BuiltPart;
  /** Frees what an encoder holds outside the V8 heap (zlib contexts), whether the file finished or failed. */
  close?(): void;
}
