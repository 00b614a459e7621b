import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, as Stripe signs its webhooks: the signed string is
 * `<X-UA-Export-Timestamp value> + "." + <the raw request body>`, the MAC is HMAC-SHA256 with the
 * integration's alert secret as key, sent hex-encoded as `X-UA-Export-Signature: sha256=<hex>`.
 * Binding the timestamp lets a receiver refuse replays older than its tolerance.
 */
export const SIGNATURE_HEADER = 'x-ua-export-signature';
export const TIMESTAMP_HEADER = 'x-ua-export-timestamp';

export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does (the README has the same as a snippet): constant-time compare, bounded age. */
export function verify(
  secret: string,
  header: string | undefined,
  timestamp: string | undefined,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  if (!header || !timestamp || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, Number(timestamp), body));
  const got = Buffer.from(header);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
