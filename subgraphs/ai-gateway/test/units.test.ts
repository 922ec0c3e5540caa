import { createEmbeddedKv, type KvStore } from '@chatgraph/kit/kv';
import { decodeTokenStreamEntry, tokenStreamKey, tokenStreamMetaKey } from '@chatgraph/schema';
import { CircuitBreaker } from '../src/circuitBreaker';
import { demoAnswer, demoEmbedding } from '../src/providers/demoProvider';
import { cleanTitle } from '../src/domain/titles';
import { TokenStreamWriter } from '../src/tokenStreamWriter';

describe('CircuitBreaker', () => {
  it('opens after the threshold, lets one probe through after the cool-down, and closes on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 100, now: () => now });
    breaker.onFailure();
    breaker.onFailure();
    expect(breaker.state).toBe('CLOSED');
    breaker.onFailure();
    expect(breaker.state).toBe('OPEN');
    expect(breaker.tryAcquire()).toBe(false);
    now = 100;
    expect(breaker.state).toBe('HALF_OPEN');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.onSuccess();
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.consecutiveFailures).toBe(0);
  });

  it('reopens when the half-open probe fails, and frees the probe when it is abandoned', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 100, now: () => now });
    breaker.onFailure();
    now = 150;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe('OPEN');
    now = 250;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.release();
    expect(breaker.tryAcquire()).toBe(true);
  });
});

describe('TokenStreamWriter', () => {
  let kv: KvStore;
  beforeAll(async () => {
    kv = createEmbeddedKv();
    await kv.start();
  });
  afterAll(() => kv.stop());

  it('coalesces deltas that arrive during an append, in order, one entry per append', async () => {
    let release: (() => void) | undefined;
    const appends: string[] = [];
    // Holds the first delta append until released, so later pushes pile up behind it.
    const slowKv: KvStore = Object.create(kv) as KvStore;
    slowKv.append = async (stream, fields, options) => {
      if (fields.type === 'delta') {
        appends.push(fields.delta ?? '');
        if (appends.length === 1) await new Promise<void>((resolve) => (release = resolve));
      }
      return kv.append(stream, fields, options);
    };
    const writer = new TokenStreamWriter({
      kv: slowKv,
      streamId: 'coalesce',
      ownerId: 'o',
      conversationId: 'c',
      messageId: 'm',
      model: 'x',
      maxLen: 1000,
      retentionMs: 60_000,
    });
    await writer.start();
    writer.push('a');
    while (appends.length === 0) await new Promise((r) => setImmediate(r));
    writer.push('b');
    writer.push('c');
    writer.push('');
    writer.push('d');
    release?.();
    await writer.finish({ outcome: 'COMPLETE', finishReason: 'stop' });
    expect(appends).toEqual(['a', 'bcd']);
    const entries = (await kv.read(tokenStreamKey('coalesce'))).map((e) => [e.seq, decodeTokenStreamEntry(e.fields).type]);
    expect(entries).toEqual([
      [1, 'start'],
      [2, 'delta'],
      [3, 'delta'],
      [4, 'done'],
    ]);
    expect(JSON.parse((await kv.get(tokenStreamMetaKey('coalesce'))) ?? '{}')).toMatchObject({
      state: 'done',
      outcome: 'COMPLETE',
      model: 'x',
    });
  });
});

describe('the demo model', () => {
  it('answers deterministically from the last user message', () => {
    const a = demoAnswer([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'x' },
      { role: 'user', content: 'second  question' },
    ]);
    expect(a).toContain('"second question"');
    expect(a).toBe(demoAnswer([{ role: 'user', content: 'second question' }]));
    expect(demoEmbedding('Same words')).toEqual(demoEmbedding('same WORDS'));
  });
});

describe('cleanTitle', () => {
  it('keeps one clean line', () => {
    expect(cleanTitle('"Rockets and Orbits."\nmore')).toBe('Rockets and Orbits');
    expect(cleanTitle('Title: Paris trip!')).toBe('Paris trip');
    expect(cleanTitle('x'.repeat(100))).toHaveLength(80);
  });
});
