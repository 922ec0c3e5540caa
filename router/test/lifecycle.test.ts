import { startTestGraph } from './support/testGraph';

describe('router: graceful stop', () => {
  it('drains a request in flight, refuses new ones, and is safe to call twice', async () => {
    const graph = await startTestGraph();
    try {
      const gate = graph.profiles.holdSlow();
      const inFlight = graph.router.query('{ slow }');
      await gate.entered;
      const stopping = graph.router.stop();
      const again = graph.router.stop();
      // New requests are refused while the in-flight one is still running: the connection is
      // refused, or a reused keep-alive connection gets 503.
      const outcome = await fetch(`${graph.router.url}/healthz`).then(
        (res) => res.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(outcome);
      gate.release();
      expect((await inFlight).body).toEqual({ data: { slow: 'slow done' } });
      await Promise.all([stopping, again]);
      await graph.router.stop();
    } finally {
      await graph.stop();
    }
  });
});
