import { EventEmitter } from 'node:events';
import { DIRECT_READER } from '../../src/db/reused-buffer-socket.js';
import type { RowBatch } from '../../src/export/copy-out-frames.js';
import type { CopyRows } from '../../src/export/copy-rows.js';

/** Backend messages of the Postgres wire protocol, as the server sends them during `COPY … TO STDOUT`. */

export function message(type: string, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(bytes.length + 4, 1);
  return Buffer.concat([head, bytes]);
}

/** The rows of a batch, as UTF-8 strings with their line feeds. */
export function batchRows({ bytes, starts, ends }: RowBatch): string[] {
  return Array.from(starts, (s, i) => bytes.toString('utf8', s, ends[i]));
}

/** CopyOutResponse for a text-format COPY of `columns` columns. */
export function copyOutResponse(columns = 2): Buffer {
  const body = Buffer.alloc(3 + 2 * columns);
  body.writeUInt16BE(columns, 1);
  return message('H', body);
}

export const copyData = (row: string | Buffer): Buffer => message('d', row);
export const copyDone = (): Buffer => message('c');
export const commandComplete = (tag: string): Buffer => message('C', `${tag}\0`);
export const readyForQuery = (): Buffer => message('Z', 'T');
/** An ErrorResponse or NoticeResponse with severity, code and message fields. */
export const errorResponse = (text: string, type: 'E' | 'N' = 'E'): Buffer => message(type, `S${type === 'E' ? 'ERROR' : 'NOTICE'}\0C22012\0M${text}\0\0`);

/** Everything the server sends for a COPY of `rows` that completes. */
export function copyOutStream(rows: readonly string[], tag = `COPY ${rows.length}`): Buffer {
  return Buffer.concat([copyOutResponse(), ...rows.map(copyData), copyDone(), commandComplete(tag), readyForQuery()]);
}

/** `bytes` cut into pieces of the given sizes, cycling through them. */
export function cut(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0, i = 0; pos < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

/**
 * A pg connection's socket, with a stand-in for pg's own parser as its 'data' listener: it parses what
 * it gets and calls the query's callbacks as pg's client would. Delivers queued reads one at a time
 * while not paused, as a flowing net.Socket does.
 *
 * `reusedBuffer`: it also behaves as src/db/reused-buffer-socket.ts does: while a DIRECT_READER is
 * set, each read goes to it as a view of one scratch buffer, overwritten right after the call, so a
 * reader that keeps a view instead of copying it delivers garbage. Otherwise, like pg's parser,
 * CopyData rows are handed to handleCopyData as views that are overwritten once dispatched.
 */
export class FakePgSocket extends EventEmitter {
  paused = false;
  /** Notices pg parsed (handed over mid-COPY). */
  readonly notices: string[] = [];
  declare [DIRECT_READER]?: ((bytes: Buffer) => void) | null;
  private readonly reads: Buffer[] = [];
  private carry = Buffer.alloc(0);
  private scheduled = false;
  private readonly scratch = Buffer.alloc(1 << 16);

  constructor(
    private readonly query: CopyRows,
    opts: { reusedBuffer?: boolean } = {},
  ) {
    super();
    if (opts.reusedBuffer) this[DIRECT_READER] = null;
    this.on('data', (chunk: Buffer) => this.pgParse(chunk));
  }

  /** What CopyRows.submit needs of pg's connection. */
  connection(): unknown {
    return { stream: this, query: () => undefined };
  }

  send(chunks: readonly Buffer[]): void {
    this.reads.push(...chunks);
    this.schedule();
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    this.schedule();
    return this;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const next = this.paused ? undefined : this.reads.shift();
      if (next === undefined) return;
      const direct = this[DIRECT_READER];
      if (direct && next.length <= this.scratch.length) {
        const n = next.copy(this.scratch);
        direct(this.scratch.subarray(0, n));
        this.scratch.fill(0x23, 0, n);
      } else if (direct) {
        direct(next);
      } else {
        this.emit('data', Buffer.from(next));
      }
      this.schedule();
    });
  }

  private pgParse(chunk: Buffer): void {
    let bytes = Buffer.concat([this.carry, chunk]);
    while (bytes.length >= 5 && bytes.length >= 1 + bytes.readUInt32BE(1)) {
      const end = 1 + bytes.readUInt32BE(1);
      const type = String.fromCharCode(bytes[0]!);
      const body = bytes.subarray(5, end);
      bytes = bytes.subarray(end);
      if (type === 'C') this.query.handleCommandComplete({ text: body.toString('utf8', 0, body.length - 1) });
      else if (type === 'Z') this.query.handleReadyForQuery();
      else if (type === 'E') this.query.handleError(new Error(field(body, 'M')));
      else if (type === 'N') this.notices.push(field(body, 'M'));
      else if (type === 'd') {
        this.query.handleCopyData({ chunk: body });
        body.fill(0x23); // pg's parser reuses its buffer once the message is dispatched
      }
    }
    this.carry = Buffer.from(bytes);
  }
}

function field(body: Buffer, code: string): string {
  for (const f of body.toString('utf8').split('\0')) if (f.startsWith(code)) return f.slice(1);
  return '';
}
