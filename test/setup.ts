import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers in tests log warnings and errors only; the bundler's per-module report is noise here.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* already installed by an earlier file in this process */
}
