import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs. Credentials never reach a log line: activities and the API only ever hold
 * ids, and these paths are redacted as a second line of defence.
 */
export const REDACT_PATHS = [
  'secretAccessKey',
  '*.secretAccessKey',
  '*.*.secretAccessKey',
  'req.headers.authorization',
  'headers.authorization',
  'storage.secretAccessKey',
  'credentials',
  '*.credentials',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'ua-export' } };
  return destination ? pino(options, destination as never) : pino(options);
}

export type { Logger };
