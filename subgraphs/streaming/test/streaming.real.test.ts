/**
 * The streaming suites on a real Redis (KV_STORE=redis at REDIS_URL, default CI's
 * `scripts/infra/redis.sh up` port 6390), each harness on a key prefix of its own; plus two
 * streaming instances sharing one Redis, as in the distributed deployment. An unreachable Redis
 * fails every test with instructions: nothing skips.
 */
import { signedGraphQL } from '@chatgraph/kit';
import { createRedisKv } from '@chatgraph/kit/kv';
import { GENERATION_CONTROL_CHANNEL, parseGenerationControl } from '@chatgraph/schema';
import { REAL_SERVERS } from '@chatgraph/test-support';
import { realRedis, realRedisEnv, SECRET, startStreaming, textOf, userPrincipal, type Harness } from './harness';
import { describeAccess } from './suites/access';
import { describeControl } from './suites/control';
import { describeFinalChunk } from './suites/finalChunk';
import { describeStreamIds } from './suites/streamIds';
import { describeSubscription } from './suites/subscription';

const REDIS_URL = REAL_SERVERS.redisUrl;

beforeAll(async () => {
  const kv = createRedisKv({ url: REDIS_URL, connectTimeoutMs: 2000 });
  try {
    await kv.start();
    await kv.ping();
  } catch (error) {
    throw new Error(
      `Redis at ${REDIS_URL} is not reachable (${String(error)}): run \`bash scripts/infra/redis.sh up\` (REDIS_PORT) or set REDIS_URL`,
    );
  } finally {
    await kv.stop();
  }
});

describe('subscription', () => describeSubscription(realRedis));
describe('access', () => describeAccess(realRedis));
describe('control', () => describeControl(realRedis));
describe('final chunk', () => describeFinalChunk(realRedis));
describe('stream ids', () => describeStreamIds(realRedis));

describe('two streaming instances on one Redis', () => {
  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    const env = realRedisEnv();
    a = await startStreaming({ env });
    b = await startStreaming({ env });
  });
  afterAll(async () => {
    await a?.dispose();
    await b?.dispose();
  });

  it('serves one stream from either instance and resumes on the other with `after`', async () => {
    const alice = userPrincipal('alice');
    const g = a.generation('alice');
    await g.start();
    const onA = a.subscribe(alice, g.streamId);
    await g.delta('Hello');
    await onA.until((s) => s.chunks.length === 2);
    // The connection to A is lost; the client resumes on B from its last seq.
    onA.unsubscribe();
    const last = onA.chunks.at(-1)?.seq ?? 0;
    await g.delta(', ');
    const onB = b.subscribe(alice, g.streamId, last);
    await g.delta('world');
    await g.done('COMPLETE');
    await onB.ended();
    expect([...onA.chunks, ...onB.chunks].map((c) => c.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(textOf([...onA.chunks, ...onB.chunks])).toBe('Hello, world');
  });

  it('a stop asked on one instance reaches a listener connected through the other', async () => {
    const received: string[] = [];
    const arrived = new Promise<void>((resolve) => {
      void b.kv
        .subscribe(GENERATION_CONTROL_CHANNEL, (message) => {
          received.push(message);
          resolve();
        })
        .then(async () => {
          const g = a.generation('alice');
          await g.start();
          const res = await signedGraphQL(a.url, SECRET, userPrincipal('alice'), 'mutation($id: ID!) { stopGeneration(streamId: $id) }', {
            id: g.streamId,
          });
          expect(res.data).toEqual({ stopGeneration: true });
        });
    });
    await arrived;
    expect(received.map(parseGenerationControl)).toEqual([expect.objectContaining({ type: 'stop', requestedBy: 'alice' })]);
  });
});
