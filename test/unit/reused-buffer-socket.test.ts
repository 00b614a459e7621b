import net from 'node:net';
import { once } from 'node:events';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db/pool.js';
import { DIRECT_READER, isReusedBufferSocket, reusedBufferSocket } from '../../src/db/reused-buffer-socket.js';

/** The socket createPool gives pg for plain connections, on a real local TCP connection. */

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A server that writes `chunks` to each connection, a few milliseconds apart, then ends it. */
async function serve(chunks: Buffer[]): Promise<number> {
  const server = net.createServer((conn) => {
    void (async () => {
      for (const c of chunks) {
        conn.write(c);
        await new Promise((r) => setTimeout(r, 3));
      }
      conn.end();
    })();
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

const chunk = (i: number, n = 1000) => Buffer.alloc(n, 0x41 + (i % 26));

describe('reusedBufferSocket', () => {
  it("emits each read as a copy of its own while no direct reader is set, then 'end' and 'close'", async () => {
    const sent = [chunk(0), chunk(1), chunk(2)];
    const socket = reusedBufferSocket(4096);
    const got: Buffer[] = [];
    socket.on('data', (b: Buffer) => got.push(b));
    socket.connect(await serve(sent), '127.0.0.1');
    await Promise.all([once(socket, 'end'), once(socket, 'close')]);
    // Each 'data' buffer kept its bytes although the socket read the next ones into the start of its
    // one buffer (views of it would all show the last read's bytes).
    expect(got.length).toBeGreaterThan(1);
    expect(Buffer.concat(got)).toEqual(Buffer.concat(sent));
  });

  it('hands reads to the direct reader as views of one buffer, and emits no data meanwhile', async () => {
    const sent = Array.from({ length: 6 }, (_, i) => chunk(i));
    const socket = reusedBufferSocket(4096);
    const copies: Buffer[] = [];
    const backing = new Set<ArrayBufferLike>();
    socket.on('data', () => expect.fail('no data event while a direct reader is set'));
    socket[DIRECT_READER] = (view) => {
      backing.add(view.buffer);
      copies.push(Buffer.from(view));
    };
    socket.connect(await serve(sent), '127.0.0.1');
    await once(socket, 'close');
    expect(Buffer.concat(copies)).toEqual(Buffer.concat(sent));
    expect(copies.length).toBeGreaterThan(1);
    expect(backing.size).toBe(1);
  });

  it('stops reading while paused and goes on when resumed', async () => {
    const sent = Array.from({ length: 20 }, (_, i) => chunk(i, 2000));
    const socket = reusedBufferSocket(4096);
    let bytes = 0;
    let paused = false;
    socket[DIRECT_READER] = (view) => {
      bytes += view.length;
      if (!paused && bytes >= 4000) {
        paused = true;
        socket.pause();
      }
    };
    socket.connect(await serve(sent), '127.0.0.1');
    await new Promise((r) => setTimeout(r, 150));
    // The server has written everything by now; the paused socket took nothing after the read that
    // paused it (each read is at most the buffer's 4096 bytes).
    expect(bytes).toBeLessThan(4000 + 4096);
    socket.resume();
    await once(socket, 'close');
    expect(bytes).toBe(40_000);
  });
});

describe("createPool's sockets", () => {
  const clientOf = (url: string) => {
    const pool = createPool(url, 1);
    // What pg-pool does for each connection: a Client from the pool's options, whose Connection asks the
    // stream factory for its socket at construction.
    const client = new pg.Client(pool.options);
    const stream = (client as unknown as { connection: { stream: unknown } }).connection.stream;
    void pool.end();
    return stream;
  };

  it('reads plain connections into a reused buffer', () => {
    expect(isReusedBufferSocket(clientOf('postgres://u:p@127.0.0.1:5432/db'))).toBe(true);
  });

  it("keeps pg's own socket for TLS connections, which pg wraps after the SSLRequest", () => {
    for (const mode of ['require', 'verify-full', 'no-verify']) {
      const stream = clientOf(`postgres://u:p@127.0.0.1:5432/db?sslmode=${mode}`);
      expect(isReusedBufferSocket(stream), mode).toBe(false);
      expect(stream).toBeInstanceOf(net.Socket);
    }
  });
});
