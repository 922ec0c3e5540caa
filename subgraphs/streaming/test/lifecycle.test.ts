/** Readiness and shutdown of the streaming server. */
import { eventually, startStreaming, userPrincipal } from './harness';

describe('lifecycle', () => {
  it('reports ready while the kv store answers, and not ready once it is gone', async () => {
    const h = await startStreaming();
    try {
      const readyz = () => fetch(h.url.replace('/graphql', '/readyz')).then((r) => r.status);
      expect(await readyz()).toBe(200);
      await h.kv.stop();
      expect(await readyz()).toBe(503);
    } finally {
      await h.dispose();
    }
  });

  it('closes open subscriptions with 1001 on stop (so the router resumes them) and ends their followers', async () => {
    const h = await startStreaming();
    try {
      const g = h.generation('alice');
      await g.start();
      const sub = h.subscribe(userPrincipal('alice'), g.streamId);
      await sub.until((s) => s.chunks.length === 1);
      await h.streaming.stop();
      await sub.ended();
      expect(sub.closeCode).toBe(1001);
      expect(sub.completed).toBe(false);
      expect(
        await eventually(
          () => h.kv.openFollowers,
          (n) => n === 0,
        ),
      ).toBe(0);
      expect(h.streaming.service.openSubscriptions).toBe(0);
      await h.streaming.stop(); // safe twice
    } finally {
      await h.dispose();
    }
  });

  it('ends a subscription still waiting for its start when the service stops, leaving no follower', async () => {
    const h = await startStreaming({ env: { STREAM_START_WAIT_MS: '600000' } });
    try {
      const g = h.generation('alice');
      await g.request();
      const sub = h.subscribe(userPrincipal('alice'), g.streamId);
      // The wait follows both the stream (for `start`) and the applied marker (an end without a stream).
      await eventually(
        () => h.kv.openFollowers,
        (n) => n === 2,
      );
      expect(h.kv.openFollowers).toBe(2);
      await h.streaming.stop();
      await sub.ended();
      expect(sub.chunks).toEqual([]);
      expect(
        await eventually(
          () => h.kv.openFollowers,
          (n) => n === 0,
        ),
      ).toBe(0);
    } finally {
      await h.dispose();
    }
  });

  it('releases everything when the client leaves while the subscription still waits for its start', async () => {
    const h = await startStreaming({ env: { STREAM_START_WAIT_MS: '600000' } });
    try {
      const g = h.generation('alice');
      await g.request();
      const sub = h.subscribe(userPrincipal('alice'), g.streamId);
      await eventually(
        () => h.kv.openFollowers,
        (n) => n === 2,
      );
      sub.unsubscribe();
      await g.start();
      await g.delta('nobody is listening');
      expect(
        await eventually(
          () => h.kv.openFollowers + h.streaming.service.openSubscriptions,
          (n) => n === 0,
        ),
      ).toBe(0);
      expect(sub.chunks).toEqual([]);
    } finally {
      await h.dispose();
    }
  });
});
