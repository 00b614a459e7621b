import type { Problem } from '../export/keys.js';

/**
 * Errors a route throws on purpose. The error handler (plugins/error-handler.ts) turns each into
 * `{ error, message, details: [{ field, rule }] }` with its status code; anything else becomes a 500
 * without a stack trace (or a 503 when Temporal or Postgres cannot be reached).
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Problem[] = [],
  ) {
    super(message);
  }
}

export function describeProblems(details: Problem[]): string {
  return details.map((d) => `${d.field}: ${d.rule}`).join('; ');
}

export const validationFailed = (details: Problem[], message?: string): ApiError =>
  new ApiError(400, 'validation_failed', message ?? `request is invalid: ${describeProblems(details)}`, details);

export const notFound = (message: string): ApiError => new ApiError(404, 'not_found', message);

export const conflict = (message: string, code = 'conflict'): ApiError => new ApiError(409, code, message);

export const temporalUnavailable = (message: string): ApiError => new ApiError(503, 'temporal_unavailable', message);

export const databaseUnavailable = (message: string): ApiError => new ApiError(503, 'database_unavailable', message);
