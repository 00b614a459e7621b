import { afterEach, describe, expect, it } from 'vitest';
import { BodyTooLargeError, httpRequest, TimeoutError } from '../../src/http/request.js';
import { closeLocalEndpoints, localEndpoint, recordingEndpoint as receiver } from '../helpers/local-http.js';

afterEach(closeLocalEndpoints);

describe('httpRequest (node:http, not fetch): a POST whose body is not read', () => {
  it('sends the body whole with its byte length and the given headers, and resolves with the status', async () => {
    const hook = await receiver((res) => res.writeHead(202).end('queued'));
    // Multi-byte characters: content-length counts bytes, not characters.
    const body = JSON.stringify({ note: 'Données ✓', pad: 'x'.repeat(100_000) });
    const r = await httpRequest(`http://${hook.address}/hooks/ua?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-extra': 'v' },
      body,
      timeoutMs: 2_000,
    });
    expect(r).toEqual({ status: 202, body: null });
    expect(hook.received).toHaveLength(1);
    const got = hook.received[0]!;
    expect(got).toMatchObject({ method: 'POST', url: '/hooks/ua?x=1', body });
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(got.headers['x-extra']).toBe('v');
  });

  it('does not follow a redirect: the status is the answer', async () => {
    const elsewhere = await receiver((res) => res.writeHead(204).end());
    const hook = await receiver((res) => res.writeHead(307, { location: `http://${elsewhere.address}/` }).end());
    expect(await httpRequest(`http://${hook.address}/`, { method: 'POST', headers: {}, body: '{}', timeoutMs: 2_000 })).toEqual({ status: 307, body: null });
    expect(elsewhere.requests()).toBe(0);
  });

  it('resolves on the status line even when the body keeps dripping, and drops that body', async () => {
    let closed = false;
    const hook = await receiver((res) => {
      res.writeHead(200);
      res.write('a');
      res.socket?.on('close', () => (closed = true));
      // Never ends: only the drain timer frees the socket.
    });
    const started = Date.now();
    expect(await httpRequest(`http://${hook.address}/`, { method: 'POST', headers: {}, body: '{}', timeoutMs: 300 })).toEqual({ status: 200, body: null });
    expect(Date.now() - started).toBeLessThan(300);
    await expect.poll(() => closed, { timeout: 2_000 }).toBe(true);
  });

  it('rejects with the system error code when nothing listens', async () => {
    const hook = await receiver((res) => res.end());
    await hook.close();
    const err = (await httpRequest(`http://${hook.address}/`, { method: 'POST', headers: {}, body: '{}', timeoutMs: 2_000 }).catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('rejects with a TimeoutError when no answer comes in time, and drops the request', async () => {
    let closed = false;
    const hook = await localEndpoint((req) => req.socket.on('close', () => (closed = true)));
    const err = await httpRequest(`http://${hook.address}/`, { method: 'POST', headers: {}, body: '{}', timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).name).toBe('TimeoutError');
    expect((err as Error).message).toBe('no answer within 150 ms');
    await expect.poll(() => closed).toBe(true);
  });

  it('speaks TLS to an https: URL (a plain-HTTP listener there is a TLS error, not an answer)', async () => {
    const plain = await receiver((res) => res.writeHead(200).end());
    const err = (await httpRequest(`https://${plain.address}/`, { method: 'POST', headers: {}, body: '{}', timeoutMs: 2_000 }).catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(err).toBeInstanceOf(Error);
    expect(err.code ?? err.message).toMatch(/SSL|TLS|EPROTO/i);
    expect(plain.received).toHaveLength(0);
  });
});

describe('httpRequest: a GET whose body is read', () => {
  it('returns the body whole, whatever the chunks it came in, with the status', async () => {
    const page = 'é'.repeat(40_000);
    const server = await localEndpoint((_req, res) => {
      const bytes = Buffer.from(page);
      res.writeHead(503);
      res.write(bytes.subarray(0, 1001));
      res.end(bytes.subarray(1001));
    });
    const answer = await httpRequest(`http://${server.address}/metrics`, { method: 'GET', timeoutMs: 2_000, maxBodyBytes: 1024 * 1024 });
    expect(answer.status).toBe(503);
    expect(answer.body?.toString('utf8')).toBe(page);
  });

  it('rejects a body past maxBodyBytes without reading it all', async () => {
    let written = 0;
    const server = await localEndpoint((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const more = () => {
        while (written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      res.on('error', () => undefined);
      more();
    });
    const err = await httpRequest(`http://${server.address}/`, { method: 'GET', timeoutMs: 5_000, maxBodyBytes: 1024 * 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyTooLargeError);
    expect((err as Error).message).toBe('answer larger than 1048576 bytes');
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('counts the time to read the body in its timeout', async () => {
    const server = await localEndpoint((_req, res) => {
      res.writeHead(200);
      res.write('partial');
      // The rest never comes.
    });
    const err = await httpRequest(`http://${server.address}/`, { method: 'GET', timeoutMs: 150, maxBodyBytes: 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
  });
});
