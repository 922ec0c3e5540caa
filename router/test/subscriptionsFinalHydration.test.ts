import { startSubscriptionGraph, type SubscriptionGraph } from './support/subscriptionsHarness';
import { eventually } from './support/http';

/**
 * The last event of a stream (`done: true`) whose entity's owner is unreachable waits for it
 * (bounded) instead of going out with `message: null`, which a normalized client cache would keep
 * as the final state (the fault suite saw it when conversation was killed right after applying an
 * outcome). Other events are not held: their entity is null with the error, and the stream goes on.
 */

const STREAM = /* GraphQL */ `
  subscription Stream($id: ID!) {
    messageStream(messageId: $id) {
      seq
      done
      message {
        id
        status
      }
    }
  }
`;

let graph: SubscriptionGraph;

beforeAll(async () => {
  graph = await startSubscriptionGraph();
});
afterAll(() => graph.stop());

it('holds the final event until the owner answers again; earlier events go out at once', async () => {
  const sub = graph.client(graph.token('alice')).subscribe(STREAM, { id: 'f1' });
  await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
  graph.chat.unavailable = true;
  graph.streaming.publish('f1', { seq: 1, delta: '', done: false, message: { id: 'f1' } });
  await sub.received(1);
  expect(sub.events[0]?.data).toEqual({ messageStream: { seq: 1, done: false, message: null } });
  expect(sub.events[0]?.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');

  const attempts = graph.chat.resolved.messages;
  graph.streaming.publish('f1', { seq: 2, delta: '', done: true, message: { id: 'f1' } });
  graph.streaming.end('f1');
  // The owner is asked again while it is down, and nothing is delivered meanwhile.
  await eventually(async () => (graph.chat.resolved.messages >= attempts + 2 ? true : undefined));
  expect(sub.events).toHaveLength(1);
  graph.chat.setStatus('f1', 'COMPLETE');
  graph.chat.unavailable = false;
  expect(await sub.ended).toEqual({ kind: 'complete' });
  expect(sub.events[1]).toEqual({ data: { messageStream: { seq: 2, done: true, message: { id: 'f1', status: 'COMPLETE' } } } });
});
