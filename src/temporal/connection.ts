import { Client, Connection } from '@temporalio/client';
import type { Env } from '../config/env.js';

export async function connectClient(env: Pick<Env, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>): Promise<Client> {
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: '5 seconds' });
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
}
