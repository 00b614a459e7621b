/**
 * The fault proxy's interface (test/chaos/fault-proxy.ts, written in parallel): the scenarios code
 * against it and load the module at run time, so they compile before it is merged. Delete this file
 * and import the types from './fault-proxy.js' once it is.
 */
export type S3Op =
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListMultipartUploads'
  | 'ListParts'
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'ListObjects'
  | 'Other';
export type FaultAction =
  | { type: 'status'; status: 500 | 503; code: 'InternalError' | 'SlowDown' }
  | { type: 'reset' }
  | { type: 'truncate' }
  | { type: 'stall'; ms: number }
  | { type: 'drop-response' }
  | { type: 'throttle'; bytesPerSecond: number };
export interface FaultRule {
  ops?: S3Op[];
  probability?: number;
  times?: number;
  action: FaultAction;
}
export interface ProxyEvent {
  op: S3Op;
  method: string;
  path: string;
  query: string;
  fault: FaultAction['type'] | null;
  status: number | null;
  startedAt: number;
  endedAt: number;
  bytesIn: number;
  bytesOut: number;
}
export interface FaultProxy {
  url: string;
  port: number;
  setRules(rules: FaultRule[]): void;
  clearRules(): void;
  onEvent(listener: (e: ProxyEvent) => void): () => void;
  close(): Promise<void>;
}
type StartFaultProxy = (opts: { target: string; port?: number; seed?: number }) => Promise<FaultProxy>;

/** The proxy's start function, or null while test/chaos/fault-proxy.ts is not in this tree. */
export async function loadFaultProxy(): Promise<StartFaultProxy | null> {
  const specifier = './fault-proxy.js';
  try {
    const mod = (await import(specifier)) as { startFaultProxy: StartFaultProxy };
    return mod.startFaultProxy;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw err;
  }
}
