import { createServer } from 'node:net';
import { createRedisKv, KvNotRunningError, KvUnavailableError } from '../../src/kv';

/** A port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

// No Redis needed: these check what happens when there is none.
describe('redis kv without a server', () => {
  it('creating it connects nothing, and operations before start() are refused', async () => {
    const kv = createRedisKv({ url: 'redis://127.0.0.1:1' });
    await expect(kv.get('k')).rejects.toBeInstanceOf(KvNotRunningError);
    await kv.stop();
  });

  it('start() rejects with a KvUnavailableError naming the redacted URL, and can be retried', async () => {
    const port = await closedPort();
    const kv = createRedisKv({ url: `redis://user:s3cret@127.0.0.1:${port}`, connectTimeoutMs: 1000 });
    const failure = await kv.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(KvUnavailableError);
    expect(String((failure as Error).message)).toContain(`127.0.0.1:${port}`);
    expect(String((failure as Error).message)).not.toContain('s3cret');
    await expect(kv.start()).rejects.toBeInstanceOf(KvUnavailableError);
    await kv.stop();
  });
});
