import { type Scenario } from '../scenario.js';
import { throughProxy } from './through-proxy.js';

/** 7. Flaky provider: 20 % of requests answered with 503 SlowDown, 500, resets, truncated bodies and stalls. */
export const flakyS3: Scenario = {
  id: 'flaky-s3',
  title: 'Flaky S3: 20 % of requests faulted for the whole run',
  run(lab, { rnd, quick }) {
    const stall = quick ? 2_000 : 5_000 + Math.floor(rnd() * 10_000);
    return throughProxy(lab, Math.floor(rnd() * 2 ** 31), lab.data.bigDay, async (proxy, _i, _e, out) => {
      proxy.setRules([
        { probability: 0.05, action: { type: 'status', status: 503, code: 'SlowDown' } },
        { probability: 0.04, action: { type: 'status', status: 500, code: 'InternalError' } },
        { probability: 0.04, action: { type: 'reset' } },
        { probability: 0.04, action: { type: 'truncate' } },
        { probability: 0.03, action: { type: 'stall', ms: stall } },
      ]);
      out.notes.push(`stalls of ${stall} ms`);
      await Promise.resolve();
    });
  },
};
