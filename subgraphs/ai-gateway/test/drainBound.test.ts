import type { KvStore } from '@chatgraph/kit/kv';
import { eventually, newSubject, readStream, requestGeneration, startAiGateway } from './harness';

/**
 * A drain must end even when a generation cannot: after a server restart a runner can sit in a
 * store or kv call that never settles, and ai-gateway then never exited on SIGTERM. Such a
 * generation is left to the lease sweep of the next instance.
 */
describe('drain on stop, with a generation stuck in a kv call', () => {
  it('gives an aborted generation DRAIN_TIMEOUT_MS more to end, then stops without it', async () => {
    let hang = false;
    const stuck: Array<() => void> = [];
    const h = await startAiGateway({
      env: { DRAIN_TIMEOUT_MS: '0' },
      wrapKv: (kv) => {
        const wrapped = Object.create(kv) as KvStore;
        // Once `hang` is set, appends never answer (until the test lets them go at the end).
        wrapped.append = (key, fields, options) =>
          hang ? new Promise((resolve) => stuck.push(() => resolve(kv.append(key, fields, options)))) : kv.append(key, fields, options);
        return wrapped;
      },
    });
    try {
      const subject = newSubject();
      await requestGeneration(h, subject, { model: 'gated' });
      await eventually(
        () => readStream(h.kv, subject.streamId),
        (entries) => entries.some((e) => e.entry.type === 'start') && h.gated.waiting > 0,
      );
      hang = true;
      await h.stopGateway();
      // It stopped although the generation is still in its kv call.
      expect(stuck.length).toBeGreaterThan(0);
      expect(h.gateway.scheduler.activeCount).toBe(1);
    } finally {
      hang = false;
      for (const release of stuck) release();
      await h.dispose();
    }
  });
});
