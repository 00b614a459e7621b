import { CliError } from './client.js';

/** Where the API is and how to authenticate: flags first, then the environment. */

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

export interface ConnectionFlags {
  apiUrl?: string;
  token?: string;
}

export interface Connection {
  apiUrl: string;
  token: string;
  /** Where the token came from, for error hints (never the token itself). */
  tokenSource: '--token' | 'UA_EXPORT_TOKEN' | 'API_TOKENS';
}

type Env = Record<string, string | undefined>;

const nonEmpty = (v: string | undefined): string | undefined => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

/**
 * `--api-url` > UA_EXPORT_API_URL > http://127.0.0.1:3000; `--token` > UA_EXPORT_TOKEN > the first of
 * API_TOKENS (the server's own list, handy on the machine that runs it).
 */
export function resolveConnection(flags: ConnectionFlags, env: Env): Connection {
  const apiUrl = nonEmpty(flags.apiUrl) ?? nonEmpty(env.UA_EXPORT_API_URL) ?? DEFAULT_API_URL;
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new CliError(`the API URL ${JSON.stringify(apiUrl)} is not a URL: use e.g. --api-url ${DEFAULT_API_URL}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new CliError(`the API URL must start with http:// or https://, got ${JSON.stringify(apiUrl)}`);
  if (parsed.username || parsed.password) throw new CliError('the API URL must not contain credentials: pass the token with --token or UA_EXPORT_TOKEN');
  if (parsed.search || parsed.hash) throw new CliError('the API URL must not contain a query or fragment');

  const fromFlag = nonEmpty(flags.token);
  if (fromFlag) return { apiUrl, token: fromFlag, tokenSource: '--token' };
  const fromEnv = nonEmpty(env.UA_EXPORT_TOKEN);
  if (fromEnv) return { apiUrl, token: fromEnv, tokenSource: 'UA_EXPORT_TOKEN' };
  const first = (env.API_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .find((t) => t.length > 0);
  if (first) return { apiUrl, token: first, tokenSource: 'API_TOKENS' };
  throw new CliError("no API token: set UA_EXPORT_TOKEN (or pass --token) to one of the tokens in the API's API_TOKENS");
}

export interface SecretInput {
  readable: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  /** Where a hidden prompt is written (stderr). */
  prompt: NodeJS.WritableStream;
}

export interface SecretFlags {
  secretAccessKey?: string;
  secretAccessKeyStdin?: boolean;
}

/**
 * The secret access key, from (in order) `--secret-access-key`, `--secret-access-key-stdin` (piped,
 * or typed at a hidden prompt when stdin is a terminal), UA_EXPORT_SECRET_ACCESS_KEY, or a hidden
 * prompt when stdin is a terminal. Never echoed.
 */
export async function resolveSecret(flags: SecretFlags, env: Env, input: SecretInput): Promise<string> {
  if (flags.secretAccessKey !== undefined && flags.secretAccessKeyStdin) {
    throw new CliError('use either --secret-access-key or --secret-access-key-stdin, not both');
  }
  if (flags.secretAccessKey !== undefined) return requireSecret(flags.secretAccessKey, '--secret-access-key');
  if (flags.secretAccessKeyStdin) {
    if (input.readable.isTTY) return requireSecret(await promptHidden('Secret access key: ', input), 'the prompt');
    return requireSecret(await readAll(input.readable), 'standard input');
  }
  const fromEnv = env.UA_EXPORT_SECRET_ACCESS_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return requireSecret(fromEnv, 'UA_EXPORT_SECRET_ACCESS_KEY');
  if (input.readable.isTTY && input.readable.setRawMode) return requireSecret(await promptHidden('Secret access key: ', input), 'the prompt');
  throw new CliError('the secret access key is required: pipe it with --secret-access-key-stdin, or set UA_EXPORT_SECRET_ACCESS_KEY');
}

function requireSecret(value: string, source: string): string {
  // A trailing newline from `echo` or a file is not part of the key.
  const v = value.replace(/[\r\n]+$/, '');
  if (v.trim() === '') throw new CliError(`the secret access key from ${source} is empty`);
  return v;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from a terminal without echoing it. Ctrl-C aborts. */
export function promptHidden(question: string, { readable, prompt }: SecretInput): Promise<string> {
  return new Promise((resolve, reject) => {
    const tty = readable as NodeJS.ReadableStream & { setRawMode(mode: boolean): unknown; isRaw?: boolean };
    let value = '';
    prompt.write(question);
    tty.setRawMode(true);
    readable.resume();
    const done = (err?: Error) => {
      readable.removeListener('data', onData);
      tty.setRawMode(false);
      readable.pause();
      prompt.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new CliError('cancelled', 130));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    readable.on('data', onData);
  });
}
