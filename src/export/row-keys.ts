const COMMA = 0x2c;
const LF = 0x0a;

/**
 * Where the key fields of the COPY row `bytes[start, end)` end: the offset of the comma after the last
 * one, or start - 1 without key columns. The export's queries put the key columns first (the cursor's
 * fields, which the file leaves out); they are numbers and timestamps, never quoted and never holding
 * a comma.
 *
 * A plain loop over the key's few dozen bytes, not Buffer.indexOf: that is a call into C++ per field
 * per row, and those calls cost more than the scan (docs/BENCHMARKS.md, "One part buffer fewer per
 * file, and the per-row loop").
 */
export function keyEndOf(bytes: Buffer, start: number, end: number, keyColumns: number): number {
  if (end <= start || bytes[end - 1] !== LF) throw new Error('COPY row does not end with a line feed');
  let comma = start - 1;
  for (let k = 0; k < keyColumns; k++) {
    let at = comma + 1;
    while (at < end && bytes[at] !== COMMA) at++;
    if (at >= end) throw new Error(`COPY row has fewer than ${keyColumns} key columns`);
    comma = at;
  }
  return comma;
}
