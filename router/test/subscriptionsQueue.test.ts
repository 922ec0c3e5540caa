import type { GraphQLError } from 'graphql';
import type { ExecutionResult } from 'graphql-ws';
import { codedError, type Principal } from '@chatgraph/kit';
import { ClientSubscription } from '../src/subscriptions/clientSubscription';
import { eventBytes, QueueBudget } from '../src/subscriptions/queueBudget';
import { subscriptionEnd } from '../src/subscriptions/errors';
import { SharedUpstreams } from '../src/subscriptions/sharedUpstreams';
import type { UpstreamConnections, UpstreamEvent, UpstreamRequest, UpstreamSink } from '../src/subscriptions/upstreamConnections';

/** Upstream connections in memory: the test plays the subgraph. */
class FakeConnections {
  readonly sinks: UpstreamSink[] = [];
  unsubscribed = 0;
  subscribe(_url: string, _principal: Principal, _request: UpstreamRequest, sink: UpstreamSink): () => void {
    this.sinks.push(sink);
    return () => this.unsubscribed++;
  }
}

const ALICE: Principal = { kind: 'user', userId: 'alice', role: 'USER', via: 'jwt' };
const target = {
  url: 'http://streaming/graphql',
  principal: ALICE,
  operationKey: 'subscription{s}',
  request: { query: 'subscription{s}', operationName: undefined, variables: {} },
};
const event = (seq: number): UpstreamEvent => ({ data: { s: seq } });

function subscriptionOn(
  upstreams: SharedUpstreams,
  queueLimit: number,
  ends: string[] = [],
  shape: (e: UpstreamEvent) => Promise<ExecutionResult> = async (e) => e as ExecutionResult,
): ClientSubscription {
  return new ClientSubscription({
    queueLimit,
    shape,
    join: (listener) => upstreams.join(target, listener),
    onEnd: (reason) => ends.push(reason),
  }).start();
}

async function drain(subscription: ClientSubscription): Promise<{ seqs: unknown[]; error: GraphQLError | undefined }> {
  const seqs: unknown[] = [];
  try {
    for await (const result of subscription) seqs.push(result.data?.s);
    return { seqs, error: undefined };
  } catch (err) {
    return { seqs, error: err as GraphQLError };
  }
}

describe('router subscriptions: client queue and shared upstreams (in process)', () => {
  it('delivers the queued events before an upstream error, then the error with its code', async () => {
    const connections = new FakeConnections();
    const upstreams = new SharedUpstreams({ connections: connections as unknown as UpstreamConnections, maxHistory: 10 });
    const subscription = subscriptionOn(upstreams, 10);
    const sink = connections.sinks[0];
    sink?.next(event(1));
    sink?.next(event(2));
    sink?.error([codedError('UNAVAILABLE', 'gone')]);
    const { seqs, error } = await drain(subscription);
    expect(seqs).toEqual([1, 2]);
    expect(error?.extensions.code).toBe('UNAVAILABLE');
    expect(upstreams.size).toBe(0);
  });

  it('ends at once with SLOW_CONSUMER when the queue overflows, dropping nothing silently, and leaves the upstream', async () => {
    const connections = new FakeConnections();
    const upstreams = new SharedUpstreams({ connections: connections as unknown as UpstreamConnections, maxHistory: 10 });
    const ends: string[] = [];
    const subscription = subscriptionOn(upstreams, 3, ends);
    for (let seq = 1; seq <= 4; seq++) connections.sinks[0]?.next(event(seq));
    expect(ends).toEqual(['slow']);
    expect(connections.unsubscribed).toBe(1);
    const { seqs, error } = await drain(subscription);
    // The queued events are not sent after the error: the client resumes from the last one it got.
    expect(seqs).toEqual([]);
    expect(error?.extensions).toMatchObject({ code: 'SLOW_CONSUMER', limit: 3 });
  });

  it('replays the history to a late joiner, and stops sharing once the history is over its bound', async () => {
    const connections = new FakeConnections();
    const upstreams = new SharedUpstreams({ connections: connections as unknown as UpstreamConnections, maxHistory: 2 });
    const first = subscriptionOn(upstreams, 10);
    connections.sinks[0]?.next(event(1));
    connections.sinks[0]?.next(event(2));
    const late = subscriptionOn(upstreams, 10);
    expect(connections.sinks).toHaveLength(1);
    connections.sinks[0]?.next(event(3));
    const later = subscriptionOn(upstreams, 10);
    expect(connections.sinks).toHaveLength(2);
    connections.sinks[0]?.complete();
    connections.sinks[1]?.complete();
    expect((await drain(first)).seqs).toEqual([1, 2, 3]);
    expect((await drain(late)).seqs).toEqual([1, 2, 3]);
    expect((await drain(later)).seqs).toEqual([]);
  });

  it('keeps the upstream while one sharer remains; an ended subscription receives nothing more', async () => {
    const connections = new FakeConnections();
    const upstreams = new SharedUpstreams({ connections: connections as unknown as UpstreamConnections, maxHistory: 10 });
    const a = subscriptionOn(upstreams, 10);
    const b = subscriptionOn(upstreams, 10);
    a.end(subscriptionEnd('SUBSCRIPTION_SCHEMA_RELOAD', 'reloaded'));
    expect(connections.unsubscribed).toBe(0);
    connections.sinks[0]?.next(event(1));
    await b.return();
    expect(connections.unsubscribed).toBe(1);
    expect((await drain(a)).error?.extensions.code).toBe('SUBSCRIPTION_SCHEMA_RELOAD');
    expect(a.queued).toBe(0);
  });

  describe('an event whose hydration fails', () => {
    /** Hydration that fails on event 2, as `executeQueryPlan` can throw. */
    const failingOn2 = async (e: UpstreamEvent): Promise<ExecutionResult> => {
      if (e.data?.s === 2) throw codedError('UNAVAILABLE', 'the owner of a field is unavailable');
      return e as ExecutionResult;
    };

    it('ends the subscription with that coded error and leaves the upstream (event already queued)', async () => {
      const connections = new FakeConnections();
      const upstreams = new SharedUpstreams({ connections: connections as unknown as UpstreamConnections, maxHistory: 10 });
      const ends: string[] = [];
      const subscription = subscriptionOn(upstreams, 10, ends, failingOn2);
      for (let seq = 1; seq <= 3; seq++) connections.sinks[0]?.next(event(seq));
      // graphql-ws pulls with for-await, which does not call return() after a failed next().
      const { seqs, error } = await drain(subscription);
      expect(seqs).toEqual([1]);
      expect(error?.extensions.code).toBe('UNAVAILABLE');
      expect(ends).toEqual(['error']);
      expect(connections.unsubscribed).toBe(1);
      expect(upstreams.size).toBe(0);
      expect(subscription.queued).toBe(0);
    });

    it('ends the subscription and leaves the upstream when the client was waiting for the event', async () => {
      const connections = new FakeConnections();
      const upstreams = new SharedUpstreams({ connections: connections as unknown as UpstreamConnections, maxHistory: 10 });
      const ends: string[] = [];
      const subscription = subscriptionOn(upstreams, 10, ends, failingOn2);
      const pulled = subscription.next();
      connections.sinks[0]?.next(event(2));
      await expect(pulled).rejects.toMatchObject({ extensions: { code: 'UNAVAILABLE' } });
      expect(ends).toEqual(['error']);
      expect(connections.unsubscribed).toBe(1);
      // Later upstream events reach nobody.
      connections.sinks[0]?.next(event(3));
      expect(subscription.queued).toBe(0);
    });
  });

  it('ends the clients with the most bytes waiting once the total queued across clients is over the budget', async () => {
    const connections = new FakeConnections();
    const upstreams = new SharedUpstreams({ connections: connections as unknown as UpstreamConnections, maxHistory: 0 });
    const size = eventBytes(event(1));
    const budget = new QueueBudget(5 * size);
    const subscribe = (ends: string[]): ClientSubscription =>
      new ClientSubscription({
        queueLimit: 100,
        budget,
        shape: async (e) => e as ExecutionResult,
        join: (listener) => upstreams.join({ ...target, operationKey: `k${connections.sinks.length}` }, listener),
        onEnd: (reason) => ends.push(reason),
      }).start();
    const slowEnds: string[] = [];
    const quickEnds: string[] = [];
    const slow = subscribe(slowEnds);
    const quick = subscribe(quickEnds);
    const [slowSink, quickSink] = connections.sinks;
    for (let seq = 1; seq <= 4; seq++) slowSink?.next(event(seq));
    quickSink?.next(event(1));
    expect(budget.bytes).toBe(5 * size);
    // Over the budget: the client with the most waiting (4 events to 2) is ended, the other keeps its queue.
    quickSink?.next(event(2));
    expect(slowEnds).toEqual(['slow']);
    expect(quickEnds).toEqual([]);
    expect(budget.bytes).toBe(2 * size);
    expect(connections.unsubscribed).toBe(1);
    const ending = await drain(slow);
    expect(ending.seqs).toEqual([]);
    expect(ending.error?.extensions).toMatchObject({ code: 'SLOW_CONSUMER', budgetBytes: 5 * size });
    // The quick client reads its events; what it sends is given back to the budget.
    expect((await quick.next()).value).toEqual(event(1));
    expect(budget.bytes).toBe(size);
    await quick.return();
    expect(budget.bytes).toBe(0);
  });
});
