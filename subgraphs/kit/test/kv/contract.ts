import type { KvStore } from '../../src/kv';
import { keyValueContract } from './contractKeyValue';
import { lifecycleContract } from './contractLifecycle';
import { pubSubContract } from './contractPubSub';
import { rateLimitContract } from './contractRateLimit';
import { streamContract } from './contractStreams';
import type { KvContext, KvUnderTest } from './helpers';

export type { KvUnderTest } from './helpers';

/**
 * The behaviour every `KvStore` adapter must show, as a reusable jest suite. `makeKv` returns a
 * fresh store that is not started yet (the suite starts it, and checks what happens before),
 * optionally a way to connect a second instance to the same data, and a cleanup run after stop.
 *
 * Usage: `describeKvContract('embedded', async () => ({ kv: createEmbeddedKv() }))`.
 */
export function describeKvContract(name: string, makeKv: () => Promise<KvUnderTest>): void {
  describe(`KvStore contract: ${name}`, () => {
    let current: KvUnderTest | undefined;
    let peers: KvStore[] = [];

    const ctx: KvContext = {
      kv: () => {
        if (!current) throw new Error('the contract store is not set up');
        return current.kv;
      },
      peer: async () => {
        if (!current) throw new Error('the contract store is not set up');
        if (!current.connectPeer) return current.kv;
        const peer = await current.connectPeer();
        peers.push(peer);
        return peer;
      },
    };

    beforeEach(async () => {
      current = await makeKv();
      await current.kv.start();
    });

    afterEach(async () => {
      const done = current;
      current = undefined;
      await Promise.all(peers.map((peer) => peer.stop()));
      peers = [];
      if (!done) return;
      await done.kv.stop();
      await done.cleanup?.();
    });

    describe('keys, counters and expiry', () => keyValueContract(ctx));
    describe('rate limiter', () => rateLimitContract(ctx));
    describe('streams', () => streamContract(ctx));
    describe('pub/sub', () => pubSubContract(ctx));
    describe('lifecycle', () => lifecycleContract(ctx, makeKv));
  });
}
