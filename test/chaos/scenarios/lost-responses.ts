import { type Scenario } from '../scenario.js';
import { throughProxy } from './through-proxy.js';

/** 6. The provider did the work but the response never arrived: CompleteMultipartUpload, and an UploadPart. */
export const lostResponses: Scenario = {
  id: 'lost-responses',
  title: 'Lost responses: CompleteMultipartUpload and UploadPart (drop-response once)',
  run(lab, { runIndex }) {
    const op = runIndex % 2 === 0 ? 'CompleteMultipartUpload' : 'UploadPart';
    return throughProxy(lab, runIndex, lab.data.bigDay, async (proxy, _i, _e, out) => {
      proxy.setRules([{ ops: [op], times: 1, action: { type: 'drop-response' } }]);
      out.notes.push(`drop-response on ${op}`);
      await Promise.resolve();
    });
  },
};
