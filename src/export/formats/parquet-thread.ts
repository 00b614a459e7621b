import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { ParquetCompression } from './format.js';

/**
 * The thread that runs parquet-wasm: it turns one row group (an Arrow IPC stream) into a Parquet file
 * of that row group, while the main thread reads and converts the next rows. Encoding is most of the
 * format's CPU (docs/BENCHMARKS.md, "Parquet through Arrow"), so on the main thread it would hold up
 * the COPY stream, the part uploads and every other activity of the worker.
 *
 * One thread per process, shared by every Parquet file being written: on a small box one more busy
 * thread beside the main thread and Postgres is what the cores allow, and one WebAssembly memory (it
 * keeps its high-water mark) bounds the memory. Row groups queue in the order they are sent; each
 * answer carries its id, so files written at once never mix.
 *
 * The thread's code is evaluated from this string (CommonJS, requiring parquet-wasm by its resolved
 * path) so that it runs the same under tsx, vitest and the compiled worker, with no file to copy.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const pw = require(workerData.parquetWasm);
const CODEC = { zstd: pw.Compression.ZSTD, snappy: pw.Compression.SNAPPY, gzip: pw.Compression.GZIP, none: pw.Compression.UNCOMPRESSED };
parentPort.on('message', (job) => {
  try {
    const props = new pw.WriterPropertiesBuilder()
      .setCompression(CODEC[job.compression])
      .setMaxRowGroupSize(job.maxRows)
      .setCreatedBy(job.createdBy)
      .build();
    const table = pw.Table.fromIPCStream(job.ipc);
    // The rows are in the WebAssembly memory now: free their IPC bytes at once rather than at this
    // thread's next garbage collection, which little else here would trigger.
    job.ipc.buffer.transfer(0);
    let file = pw.writeParquet(table, props);
    if (file.byteOffset !== 0 || file.byteLength !== file.buffer.byteLength) file = file.slice();
    parentPort.postMessage({ id: job.id, file }, [file.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
});
`;

const require = createRequire(import.meta.url);

export interface RowGroupJob {
  ipc: Uint8Array;
  compression: ParquetCompression;
  maxRows: number;
  createdBy: string;
}

interface Waiting {
  resolve: (file: Uint8Array) => void;
  reject: (err: Error) => void;
}

class EncoderThread {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly waiting = new Map<number, Waiting>();

  encode(job: RowGroupJob): Promise<Uint8Array> {
    const worker = this.start();
    const id = this.nextId++;
    const done = new Promise<Uint8Array>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    // Moved, not copied, when the IPC bytes are a buffer of their own.
    const whole = job.ipc.byteOffset === 0 && job.ipc.byteLength === job.ipc.buffer.byteLength;
    const ipc = whole ? job.ipc : job.ipc.slice();
    worker.postMessage({ ...job, id, ipc }, [ipc.buffer as ArrayBuffer]);
    // Keeps the process alive only while a row group is being encoded.
    worker.ref();
    return done;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { parquetWasm: require.resolve('parquet-wasm') } });
    // A thread that died fails the row groups it held; the next one starts a new thread.
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('message', (m: { id: number; file?: Uint8Array; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) worker.unref();
      if (m.file) return w.resolve(m.file);
      w.reject(new Error(`Parquet writer: ${m.error ?? 'no output'}`));
      // WebAssembly that failed mid-call may have left its memory inconsistent: the next row group
      // gets a fresh thread, and those queued behind this one fail and are retried with their file.
      fail(new Error('Parquet writer thread replaced after an error'));
      void worker.terminate();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`Parquet writer thread exited with code ${code}`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

let thread: EncoderThread | null = null;

/** The Parquet file of one row group, written by the process's Parquet thread. */
export function encodeRowGroup(job: RowGroupJob): Promise<Uint8Array> {
  return (thread ??= new EncoderThread()).encode(job);
}
