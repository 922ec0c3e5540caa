import { KvNotRunningError } from '../../src/kv';
import { within, type KvContext, type KvUnderTest } from './helpers';

export function lifecycleContract(ctx: KvContext, makeKv: () => Promise<KvUnderTest>): void {
  it('answers ping while running', async () => {
    await expect(ctx.kv().ping()).resolves.toBeUndefined();
  });

  it('refuses use before start and after stop; stop is safe twice', async () => {
    const made = await makeKv();
    try {
      await expect(made.kv.get('k')).rejects.toBeInstanceOf(KvNotRunningError);
      await made.kv.start();
      await made.kv.set('k', 'v');
      await made.kv.stop();
      await made.kv.stop();
      await expect(made.kv.get('k')).rejects.toBeInstanceOf(KvNotRunningError);
      await expect(made.kv.ping()).rejects.toBeInstanceOf(KvNotRunningError);
      await expect(made.kv.start()).rejects.toBeInstanceOf(KvNotRunningError);
    } finally {
      await made.kv.stop();
      await made.cleanup?.();
    }
  });

  it('ends followers and drops subscriptions on stop', async () => {
    const made = await makeKv();
    try {
      const { kv } = made;
      await kv.start();
      await kv.append('s', { delta: 'a' });
      const follower = kv.follow('s');
      expect((await follower.next()).value?.seq).toBe(1);
      const waiting = follower.next();
      await kv.subscribe('c', () => undefined);
      await within(kv.stop(), 5000, 'stop');
      expect(await within(waiting, 2000, 'the follower to end')).toMatchObject({ done: true });
    } finally {
      await made.kv.stop();
      await made.cleanup?.();
    }
  });
}
