import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalEndpoint {
  /** host:port */
  address: string;
  requests: () => number;
  /** Stops listening and drops open connections: the address then refuses. */
  close: () => Promise<void>;
}

/** The close of every endpoint still open. */
const open = new Set<() => Promise<void>>();

/** A server on 127.0.0.1 answering with `handler`, counting requests; closed by closeLocalEndpoints. */
export async function localEndpoint(handler: http.RequestListener): Promise<LocalEndpoint> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async () => {
    if (!open.delete(close)) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  open.add(close);
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests, close };
}

/** For afterEach: closes every endpoint still open. */
export async function closeLocalEndpoints(): Promise<void> {
  for (const close of [...open]) await close();
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local endpoint that records each request's method, path, headers and whole body, then answers with `answer`. */
export async function recordingEndpoint(answer: (res: http.ServerResponse) => void): Promise<LocalEndpoint & { received: ReceivedRequest[] }> {
  const received: ReceivedRequest[] = [];
  const endpoint = await localEndpoint((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(res);
    });
  });
  return { ...endpoint, received };
}
