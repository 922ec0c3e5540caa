import { randomUUID } from 'node:crypto';
import { createRedisKv, KvUnavailableError, type KvStore, type StreamEntry } from '../../src/kv';
import { eventually, within } from './helpers';
import { RESTART_REDIS_PORT, redisScript } from './redisSupport';

/**
 * Redis going away and coming back, through the infra script, on a private instance
 * (REDIS_RESTART_PORT, default 6391) that the suite starts and stops itself. The test Redis runs with
 * `--save ''`, so a restart loses its data: only what must hold either way is asserted. A
 * production Redis must run with persistence (AOF) if token streams are to survive a restart.
 */
export function redisRestartSuite(): void {
  describe('when Redis restarts', () => {
    const url = `redis://127.0.0.1:${RESTART_REDIS_PORT}`;
    let kv: KvStore | undefined;

    beforeAll(() => redisScript('up', RESTART_REDIS_PORT), 60_000);
    afterAll(() => redisScript('down', RESTART_REDIS_PORT), 60_000);
    afterEach(() => kv?.stop());

    it('fails fast while down, then recovers: ping, commands, followers and subscriptions', async () => {
      const store = createRedisKv({ url, keyPrefix: `test:${randomUUID()}:`, commandTimeoutMs: 1000 });
      kv = store;
      await store.start();
      for (const delta of ['a', 'b', 'c']) await store.append('before', { delta });
      const followed: StreamEntry[] = [];
      const following = (async () => {
        for await (const entry of store.follow('live')) followed.push(entry);
      })();
      const messages: string[] = [];
      await store.subscribe('control', (message) => void messages.push(message));

      await redisScript('down', RESTART_REDIS_PORT);
      await eventually(
        async () =>
          await store.ping().then(
            () => false,
            (error: unknown) => error instanceof KvUnavailableError,
          ),
        'ping to fail',
      );
      await expect(store.get('anything')).rejects.toBeInstanceOf(KvUnavailableError);
      await expect(store.append('live', { delta: 'lost' })).rejects.toBeInstanceOf(KvUnavailableError);

      await redisScript('up', RESTART_REDIS_PORT);
      await eventually(
        async () =>
          await store.ping().then(
            () => true,
            () => false,
          ),
        'ping to recover',
        30_000,
      );

      // Without persistence the old stream is gone; with it, it is intact. Never partial.
      const before = (await store.read('before')).map((e) => e.fields.delta);
      expect([[], ['a', 'b', 'c']]).toContainEqual(before);

      // The follower started before the outage resumes through the reconnected blocking reader.
      expect(await store.append('live', { delta: 'after' })).toBe(1);
      await eventually(() => followed.length === 1, 'the follower to get the entry appended after the restart', 10_000);
      expect(followed[0]).toEqual({ seq: 1, fields: { delta: 'after' } });

      // The subscription is re-established (ioredis resubscribes); messages during the outage are lost by design.
      let sent = 0;
      await eventually(
        async () => {
          await store.publish('control', `m${++sent}`);
          return messages.length > 0;
        },
        'a message on the resubscribed channel',
        10_000,
      );

      await store.stop();
      await within(following, 5000, 'the follower to end on stop');
    }, 90_000);
  });
}
