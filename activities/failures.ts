import { ApplicationFailure } from '@temporalio/activity';
import { SecretError } from '../src/crypto/secrets.js';
import { IntegrationNotFound } from '../src/integrations/repo.js';

/**
 * An integration that is gone, or whose secret this worker cannot decrypt, stays that way however
 * often the activity is retried: every activity that loads one reports it as non-retryable.
 */
export function integrationFailure(err: unknown): unknown {
  if (err instanceof IntegrationNotFound) return ApplicationFailure.nonRetryable(err.message, 'IntegrationNotFound');
  if (err instanceof SecretError) return ApplicationFailure.nonRetryable(err.message, 'SecretUnreadable');
  return err;
}

export async function loadingIntegration<T>(load: Promise<T>): Promise<T> {
  try {
    return await load;
  } catch (err) {
    throw integrationFailure(err);
  }
}
