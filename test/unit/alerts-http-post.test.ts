import { afterEach, describe, expect, it } from 'vitest';
import { httpPost, PostTimeoutError } from '../../src/alerts/http-post.js';
import { closeLocalEndpoints, localEndpoint, recordingEndpoint as receiver } from '../helpers/local-http.js';

afterEach(closeLocalEndpoints);

describe('httpPost (node:http, not fetch)', () => {
  it('sends the body whole with its byte length and the given headers, and resolves with the status', async () => {
    const hook = await receiver((res) => res.writeHead(202).end('queued'));
    // Multi-byte characters: content-length counts bytes, not characters.
    const body = JSON.stringify({ note: 'Données ✓', pad: 'x'.repeat(100_000) });
    const r = await httpPost(`http://${hook.address}/hooks/ua?x=1`, {
      headers: { 'content-type': 'application/json', 'x-extra': 'v' },
      body,
      timeoutMs: 2_000,
    });
    expect(r).toEqual({ status: 202 });
    expect(hook.received).toHaveLength(1);
    const got = hook.received[0]!;
    expect(got).toMatchObject({ method: 'POST', url: '/hooks/ua?x=1', body });
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(got.headers['x-extra']).toBe('v');
  });

  it('does not follow a redirect: the status is the answer', async () => {
    const elsewhere = await receiver((res) => res.writeHead(204).end());
    const hook = await receiver((res) => res.writeHead(307, { location: `http://${elsewhere.address}/` }).end());
    expect(await httpPost(`http://${hook.address}/`, { headers: {}, body: '{}', timeoutMs: 2_000 })).toEqual({ status: 307 });
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
    expect(await httpPost(`http://${hook.address}/`, { headers: {}, body: '{}', timeoutMs: 300 })).toEqual({ status: 200 });
    expect(Date.now() - started).toBeLessThan(300);
    await expect.poll(() => closed, { timeout: 2_000 }).toBe(true);
  });

  it('rejects with the system error code when nothing listens', async () => {
    const hook = await receiver((res) => res.end());
    await hook.close();
    const err = (await httpPost(`http://${hook.address}/`, { headers: {}, body: '{}', timeoutMs: 2_000 }).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('rejects with a TimeoutError when no answer comes in time, and drops the request', async () => {
    let closed = false;
    const hook = await localEndpoint((req) => req.socket.on('close', () => (closed = true)));
    const err = await httpPost(`http://${hook.address}/`, { headers: {}, body: '{}', timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostTimeoutError);
    expect((err as Error).name).toBe('TimeoutError');
    expect((err as Error).message).toBe('no answer within 150 ms');
    await expect.poll(() => closed).toBe(true);
  });

  it('speaks TLS to an https: URL (a plain-HTTP listener there is a TLS error, not an answer)', async () => {
    const plain = await receiver((res) => res.writeHead(200).end());
    const err = (await httpPost(`https://${plain.address}/`, { headers: {}, body: '{}', timeoutMs: 2_000 }).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err).toBeInstanceOf(Error);
    expect(err.code ?? err.message).toMatch(/SSL|TLS|EPROTO/i);
    expect(plain.received).toHaveLength(0);
  });
});
