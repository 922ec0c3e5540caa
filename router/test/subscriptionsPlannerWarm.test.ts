/**
 * The subscription planner (~0.2 s of CPU) is built when a supergraph generation loads, not by the
 * first subscribe: under load (issue 10, one user flooding) a user's first answer otherwise waited
 * for it. Counted, not timed: the planners built, before and after the first subscription.
 */
import { eventually } from './support/http';
import { startSubscriptionGraph, type SubscriptionGraph } from './support/subscriptionsHarness';

const mockBuilt: string[] = [];

jest.mock('../src/subscriptions/planner', () => {
  const actual = jest.requireActual<typeof import('../src/subscriptions/planner')>('../src/subscriptions/planner');
  class CountedPlanner extends actual.SubscriptionPlanner {
    constructor(...args: ConstructorParameters<typeof actual.SubscriptionPlanner>) {
      super(...args);
      mockBuilt.push('planner');
    }
  }
  return { ...actual, SubscriptionPlanner: CountedPlanner };
});

describe('router subscriptions: the planner is ready before the first subscriber', () => {
  let graph: SubscriptionGraph;
  beforeAll(async () => {
    graph = await startSubscriptionGraph();
  });
  afterAll(() => graph.stop());

  it('builds the planner once, at start, and the first subscription uses it', async () => {
    expect(mockBuilt).toEqual(['planner']);
    const sub = graph.client(graph.token('first')).subscribe('subscription { messageStream(messageId: "w1") { seq delta } }');
    await eventually(async () => (graph.router.subscriptions.subscriptions === 1 ? true : undefined));
    graph.streaming.publish('w1', { seq: 1, delta: 'hello', message: null });
    await sub.received(1);
    expect(mockBuilt).toEqual(['planner']);
    sub.unsubscribe();
  });
});
