import { type Scenario } from '../scenario.js';
import { partsUploadedTwice, throughProxy } from './through-proxy.js';

/**
 * 2. Stale checkpoint: the worker is killed right after a part landed at the provider, before the
 * heartbeat carrying it can reach the server, so the retry resumes behind what the provider holds.
 */
export const staleCheckpoint: Scenario = {
  id: 'stale-checkpoint',
  title: 'Worker killed right after a part landed (stale checkpoint)',
  run(lab, { rnd }) {
    let killedAt = 0;
    return throughProxy(
      lab,
      Math.floor(rnd() * 2 ** 31),
      lab.data.bigDay,
      async (proxy, _i, events, out) => {
        const target = 2 + Math.floor(rnd() * 2);
        let landed = 0;
        await new Promise<void>((resolve) => {
          const off = proxy.onEvent((e) => {
            if (e.op === 'UploadPart' && e.status === 200 && ++landed === target) {
              off();
              // Synchronously in the event: no heartbeat of this part can have been sent yet.
              for (const w of lab.workers) if (w.alive()) void w.kill('SIGKILL');
              resolve();
            }
          });
        });
        killedAt = Date.now();
        out.faults++;
        await lab.startWorker();
        out.notes.push(`killed after part ${target} landed`);
      },
      (events, out) => out.partsRebuilt.push(partsUploadedTwice(events, killedAt - 600_000)),
    );
  },
};
