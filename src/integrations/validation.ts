import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { dayCount, isDay } from '../export/days.js';
import { bucketProblems, folderProblems, type Problem } from '../export/keys.js';
import { resolveOutputFormat, type OutputFormat } from '../export/formats/format.js';
import { settingsProblems, type ExportSettings } from '../export/settings.js';

/**
 * What a customer submits about an integration and its backfills, checked before anything is stored
 * or started. Every problem names the field and the rule it breaks, so an API client can show it next
 * to the right input. Schema-level checks (types, unknown fields, lengths) happen before these.
 */

export type { Problem };

// ---------------------------------------------------------------- endpoints

export interface EndpointPolicy {
  /** Plain `http://` endpoints (ALLOW_PLAIN_HTTP_ENDPOINTS). */
  allowPlainHttp: boolean;
  /** Endpoints resolving to private, loopback or other non-public unicast addresses (ALLOW_PRIVATE_ENDPOINTS). */
  allowPrivate: boolean;
  /** Loopback even when private addresses are not allowed: local development only. */
  allowLoopback?: boolean;
  /** Resolves a host name to every address it has; dns.lookup by default. */
  lookup?: (host: string) => Promise<string[]>;
  /** How long name resolution may take. */
  lookupTimeoutMs?: number;
}

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'reserved';

/** Instance-metadata services: whatever the configuration, an integration must never point at them. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200', '192.0.0.192', 'fd00:ec2::254', 'fd00:ec2::23']);
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
]);

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function inV4(ip: number, base: string, bits: number): boolean {
  const size = 2 ** (32 - bits);
  const start = v4ToInt(base);
  return ip >= start && ip < start + size;
}

function classifyV4(ip: string): AddressClass {
  if (METADATA_ADDRESSES.has(ip)) return 'metadata';
  const n = v4ToInt(ip);
  if (inV4(n, '0.0.0.0', 8)) return 'unspecified';
  if (inV4(n, '127.0.0.0', 8)) return 'loopback';
  if (inV4(n, '169.254.0.0', 16)) return 'link-local';
  if (inV4(n, '224.0.0.0', 4)) return 'multicast';
  if (inV4(n, '240.0.0.0', 4)) return 'reserved'; // includes 255.255.255.255
  for (const [base, bits] of [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['100.64.0.0', 10], // carrier-grade NAT
    ['192.0.0.0', 24], // IETF protocol assignments
    ['192.0.2.0', 24], // documentation
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['198.18.0.0', 15], // benchmarking
  ] as const) {
    if (inV4(n, base, bits)) return 'private';
  }
  return 'public';
}

/** The 16 bytes of an IPv6 address (zone ids dropped), or null when it is not one. */
function v6Bytes(ip: string): number[] | null {
  let s = ip.toLowerCase().replace(/%.*$/, '');
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two hex groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad) {
    if (isIP(quad[1]!) !== 4) return null;
    const n = v4ToInt(quad[1]!);
    s = `${s.slice(0, -quad[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const bytes: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    const v = parseInt(g, 16);
    bytes.push(v >> 8, v & 0xff);
  }
  return bytes.length === 16 ? bytes : null;
}

function classifyV6(ip: string): AddressClass {
  const b = v6Bytes(ip);
  if (!b) return 'reserved';
  const canonical = b.every((x) => x === 0) ? '::' : null;
  if (canonical === '::') return 'unspecified';
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4At = (i: number) => `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`;
  if (zeros(0, 15) && b[15] === 1) return 'loopback';
  // Addresses that carry an IPv4 address: judge the IPv4 address.
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(v4At(12)); // ::ffff:a.b.c.d
  if (zeros(0, 12)) return classifyV4(v4At(12)); // ::a.b.c.d (deprecated IPv4-compatible)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return classifyV4(v4At(12)); // 64:ff9b::/96 NAT64
  if (b[0] === 0x20 && b[1] === 0x02) return classifyV4(v4At(2)); // 2002::/16 6to4
  const words = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
  if (METADATA_ADDRESSES.has(compressV6(words))) return 'metadata';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local'; // fe80::/10
  if (b[0] === 0xff) return 'multicast';
  if ((b[0]! & 0xfe) === 0xfc) return 'private'; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 'private'; // fec0::/10 site-local (deprecated)
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'private'; // documentation
  if (b[0] === 0x01 && b[1] === 0x00 && zeros(2, 8)) return 'reserved'; // 100::/64 discard
  return 'public';
}

function compressV6(words: string[]): string {
  // Longest run of zero words becomes '::' (RFC 5952), enough to compare with the metadata list.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  if (best.len < 2) return words.join(':');
  return `${words.slice(0, best.at).join(':')}::${words.slice(best.at + best.len).join(':')}`;
}

export function classifyAddress(ip: string): AddressClass {
  const family = isIP(ip.replace(/%.*$/, ''));
  if (family === 4) return classifyV4(ip);
  if (family === 6) return classifyV6(ip);
  return 'reserved';
}

const ALWAYS_REFUSED: Partial<Record<AddressClass, string>> = {
  metadata: 'a cloud instance-metadata address',
  'link-local': 'a link-local address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

async function defaultLookup(host: string): Promise<string[]> {
  const all = await dnsLookup(host, { all: true, verbatim: true });
  return all.map((a) => a.address);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEOUT' })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * An endpoint URL is acceptable when it is an absolute http(s) URL without credentials, query or
 * fragment, and every address its host resolves to is allowed: never link-local or cloud metadata;
 * private and loopback only when the policy says so; plain http only when the policy says so.
 */
export async function endpointProblems(value: string, policy: EndpointPolicy, field = 'endpointUrl'): Promise<Problem[]> {
  const problem = (rule: string): Problem[] => [{ field, rule }];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return problem('must be an absolute URL such as https://s3.eu-central-1.amazonaws.com');
  }
  const problems: Problem[] = [];
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return problem('must use https:// (or http:// where allowed)');
  if (!url.hostname) return problem('must name a host');
  if (url.username || url.password) problems.push({ field, rule: 'must not contain credentials (user:password@); use accessKeyId and secretAccessKey' });
  if (url.search || value.includes('?')) problems.push({ field, rule: 'must not contain a query string' });
  if (url.hash || value.includes('#')) problems.push({ field, rule: 'must not contain a fragment' });
  if (url.protocol === 'http:' && !policy.allowPlainHttp) problems.push({ field, rule: 'must use https: plain http endpoints are not allowed by this server' });
  if (problems.length > 0) return problems;

  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (METADATA_HOSTS.has(host)) return problem('must not point at a cloud instance-metadata service');

  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await withTimeout((policy.lookup ?? defaultLookup)(host), policy.lookupTimeoutMs ?? 5_000, `resolving ${host}`);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ETIMEOUT') return problem(`host ${host} does not resolve (no answer in time); check the host name`);
      return problem(`host ${host} does not resolve${code ? ` (${code})` : ''}; check the host name`);
    }
    if (addresses.length === 0) return problem(`host ${host} does not resolve; check the host name`);
  }

  for (const address of addresses) {
    const cls = classifyAddress(address);
    const refused = ALWAYS_REFUSED[cls];
    if (refused) return problem(`must not resolve to ${refused} (${address})`);
    if (cls === 'loopback' && !policy.allowPrivate && !policy.allowLoopback)
      return problem(`must not resolve to a loopback address (${address}): not allowed by this server`);
    if (cls === 'private' && !policy.allowPrivate) return problem(`must not resolve to a private address (${address}): not allowed by this server`);
  }
  return [];
}

// ---------------------------------------------------------------- integration fields

export interface IntegrationFields {
  bucket?: string;
  folder?: string;
  settings?: Partial<ExportSettings>;
}

/** The checks that need no network: bucket naming, folder segments, known event types. */
export function integrationFieldProblems(input: IntegrationFields): Problem[] {
  return [
    ...(input.bucket !== undefined ? bucketProblems(input.bucket, 'bucket') : []),
    ...(input.folder !== undefined ? folderProblems(input.folder, 'folder') : []),
    ...(input.settings !== undefined ? settingsProblems(input.settings, 'settings') : []),
  ];
}

// ---------------------------------------------------------------- file format (issue 10)

/**
 * The integration's format after a create (no `current`) or PATCH (`current`: the stored one), or
 * the problems naming `format` / `compression` and the rule broken.
 */
export function outputFormatOf(input: { format?: string; compression?: string }, current?: OutputFormat): { value: OutputFormat; problems: Problem[] } {
  return resolveOutputFormat(input, current);
}

// ---------------------------------------------------------------- day ranges

export interface RangeLimits {
  /** Today in UTC (`YYYY-MM-DD`): the first day that is not complete yet. */
  today: string;
  /** Longest allowed range in days (inclusive count). */
  maxDays: number;
  /** Whether `to` must be a complete day (before today). Backfills: yes; reading the ledger: no. */
  completeDaysOnly: boolean;
}

/** `from` and `to` as inclusive `YYYY-MM-DD` days: real calendar days, in order, complete, not too long. */
export function dayRangeProblems(from: string, to: string, limits: RangeLimits): Problem[] {
  const problems: Problem[] = [];
  const realDay = (v: string, field: string) => {
    if (isDay(v)) return true;
    problems.push({ field, rule: `must be a real calendar day as YYYY-MM-DD, got ${JSON.stringify(v)}` });
    return false;
  };
  const okFrom = realDay(from, 'from');
  const okTo = realDay(to, 'to');
  if (!okFrom || !okTo) return problems;
  if (from > to) {
    problems.push({ field: 'from', rule: `must be on or before to (${to})` });
    return problems;
  }
  if (limits.completeDaysOnly && to >= limits.today) {
    problems.push({ field: 'to', rule: `must be before today in UTC (${limits.today}): a day is exported only once it is complete` });
  }
  const days = dayCount(from, to);
  if (days > limits.maxDays) problems.push({ field: 'to', rule: `range covers ${days} days; at most ${limits.maxDays} are allowed` });
  return problems;
}

export function concurrencyProblems(concurrency: number | undefined, max: number): Problem[] {
  if (concurrency === undefined) return [];
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > max) {
    return [{ field: 'concurrency', rule: `must be a whole number from 1 to ${max}` }];
  }
  return [];
}
