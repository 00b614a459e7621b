import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CopyRows } from '../../src/export/copy-rows.js';
import { commandComplete, copyData, copyDone, copyOutResponse, cut, FakePgSocket, readyForQuery } from './copy-protocol.js';
import type { ExportReadClient } from '../../src/export/export-table-day.js';

/**
 * In-process stand-ins for what an export talks to: a Postgres pool whose COPY serves the given rows
 * (CopyRows reads it as wire-protocol bytes from a fake socket), and an S3 endpoint that accepts UploadPart.
 */

export interface FakeClient extends ExportReadClient {
  queries: string[];
  /** undefined until released; `true` for a clean release, the error for a discarded connection. */
  released: undefined | Error | boolean;
}

export interface FakeCopyOptions {
  /** Row count the COPY command tag reports (default: the rows it sent). */
  reportedRows?: (sent: number) => number;
  /** Send the rows, then never finish the COPY: only an abort ends it. */
  stall?: boolean;
}

export const FAKE_SNAPSHOT_ID = '00000003-0000001B-1';

/** Rows are CSV lines, each ending in \n; `OFFSET n` in the COPY (a campaign_metrics cursor) skips the first n. */
export function fakeExportPool(rows: readonly string[], opts: FakeCopyOptions = {}) {
  const clients: FakeClient[] = [];
  const pool = {
    clients,
    async connect(): Promise<FakeClient> {
      const client: FakeClient = {
        queries: [],
        released: undefined,
        query(q: string | CopyRows): never {
          if (q instanceof CopyRows) {
            client.queries.push(q.text);
            serveCopy(q, rows, opts);
            return q as never;
          }
          client.queries.push(q);
          // The read transaction's exported snapshot (same-snapshot.ts), in Postgres's id format.
          if (q.startsWith('SELECT pg_export_snapshot()')) return Promise.resolve({ rows: [{ id: FAKE_SNAPSHOT_ID }] }) as never;
          return Promise.resolve({ rows: [] }) as never;
        },
        release(err?: Error | boolean) {
          client.released = err ?? true;
        },
      };
      clients.push(client);
      return client;
    },
  };
  return pool;
}

function serveCopy(copy: CopyRows, rows: readonly string[], opts: FakeCopyOptions): void {
  const offset = Number(/OFFSET (\d+)/.exec(copy.text)?.[1] ?? 0);
  const sent = rows.slice(offset);
  const socket = new FakePgSocket(copy, { reusedBuffer: true });
  copy.submit(socket.connection() as never);
  const data = Buffer.concat([copyOutResponse(), ...sent.map(copyData)]);
  const end = opts.stall ? [] : [copyDone(), commandComplete(`COPY ${opts.reportedRows ? opts.reportedRows(sent.length) : sent.length}`), readyForQuery()];
  // Reads of odd sizes, so that headers and rows split across them, as a socket may deliver them
  // (small enough for the few rows of most tests, large enough for the 30,000 of some).
  socket.send(cut(Buffer.concat([data, ...end]), [37, 3, 101, 16_381, 5, 40_009]));
}

export interface FakeS3 {
  endpoint: string;
  /** Bodies of the parts received, by part number, in arrival order. */
  parts: { partNumber: number; body: Buffer }[];
  /** Bodies of whole-object PUTs (manifests), by request path. */
  objects: Map<string, Buffer>;
  /** Paths of every PutObject, in order. */
  objectPuts: string[];
  close(): Promise<void>;
}

/** Answers every PUT (a part, or a whole object) with the body's MD5 as its ETag, and ListParts from the parts it got. */
export async function startFakeS3(): Promise<FakeS3> {
  const parts: FakeS3['parts'] = [];
  const objects: FakeS3['objects'] = new Map();
  const objectPuts: string[] = [];
  const partsByUpload = new Map<string, Set<number>>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const partNumber = Number(url.searchParams.get('partNumber'));
      const uploadId = url.searchParams.get('uploadId');
      if (req.method === 'GET' && uploadId !== null) {
        // ListParts: the part numbers this upload holds, as the provider would list them.
        const held = [...(partsByUpload.get(uploadId) ?? [])].sort((a, b) => a - b);
        const xml = `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${held
          .map((n) => `<Part><PartNumber>${n}</PartNumber><ETag>"e"</ETag><Size>1</Size></Part>`)
          .join('')}</ListPartsResult>`;
        res.writeHead(200, { 'Content-Type': 'application/xml' }).end(xml);
        return;
      }
      if (req.method === 'GET') {
        // GetObject, for the compare-before-put of a table folder's _schema.json.
        const held = objects.get(decodeURIComponent(url.pathname));
        if (held) res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(held);
        else res.writeHead(404, { 'Content-Type': 'application/xml' }).end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code></Error>');
        return;
      }
      if (req.method !== 'PUT') {
        res.writeHead(400).end();
        return;
      }
      const body = Buffer.concat(chunks);
      if (partNumber) {
        parts.push({ partNumber, body });
        if (uploadId !== null) partsByUpload.set(uploadId, (partsByUpload.get(uploadId) ?? new Set()).add(partNumber));
      } else {
        objects.set(decodeURIComponent(url.pathname), body);
        objectPuts.push(decodeURIComponent(url.pathname));
      }
      res.writeHead(200, { ETag: `"${createHash('md5').update(body).digest('hex')}"` }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    parts,
    objects,
    objectPuts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
