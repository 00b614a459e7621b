import net from 'node:net';

/**
 * Where a socket made by reusedBufferSocket sends its reads instead of its 'data' event, while set.
 * The reader gets a view of the socket's one buffer, valid only during the call: it must copy what it
 * keeps before returning (CopyRows' COPY reader does, copy-out-frames.ts).
 */
export const DIRECT_READER = Symbol('ua-export.directReader');

export interface ReusedBufferSocket extends net.Socket {
  [DIRECT_READER]: ((bytes: Buffer) => void) | null;
}

export function isReusedBufferSocket(stream: unknown): stream is ReusedBufferSocket {
  return typeof stream === 'object' && stream !== null && DIRECT_READER in stream;
}

const READ_BUFFER_BYTES = 256 * 1024;

/**
 * A plain TCP (or Unix) socket for pg that reads into one buffer of its own, reused for every read
 * (`net.Socket`'s `onread` option), instead of a new ArrayBuffer per read.
 *
 * Why: a big day's COPY is about 15,000 socket reads per 1M rows. Each new read buffer is external
 * memory that V8 frees only when a collection finds it dead, and without much other garbage around
 * (copy-out-frames.ts makes none per row) only full collections do, several a second; that cost more
 * CPU than the per-row work the COPY reader saves (docs/BENCHMARKS.md, "COPY reads into a reused
 * buffer"). While a DIRECT_READER is set, reads go to it as views of the buffer; otherwise the socket
 * emits each read as 'data', as a copy, since pg's parser may keep what it is given.
 *
 * Not for TLS: pg layers TLS over the socket after the SSLRequest, and a TLS socket decrypts into
 * buffers of its own (createPool chooses).
 */
export function reusedBufferSocket(bufferBytes = READ_BUFFER_BYTES): ReusedBufferSocket {
  const buffer = Buffer.allocUnsafe(bufferBytes);
  const socket = new net.Socket({
    onread: {
      buffer,
      callback: (n: number) => {
        const direct = socket[DIRECT_READER];
        if (direct) direct(buffer.subarray(0, n));
        else socket.emit('data', Buffer.from(buffer.subarray(0, n)));
        // Reading pauses only through pause() (CopyRows' backpressure), as for any socket.
        return true;
      },
    },
  }) as ReusedBufferSocket;
  socket[DIRECT_READER] = null;
  return socket;
}
