/**
 * "An answer finished or failed while the user was not watching its stream", end to end through
 * the router of the one-process stack with real graphql-ws clients: streaming announces each end
 * on `streaming.stream.v1` with `watched` (a subscription of the owner attached at the end, or one
 * that received it), and notification notifies only unwatched ones. An answer watched to its end
 * creates no notification; one nobody subscribed to, or whose client unsubscribed before its end,
 * creates exactly one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import type { Subscription } from '@chatgraph/kit/events';
import { streamingStreamV1, type StreamingStreamEvent } from '@chatgraph/schema';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually as eventuallyWithin, graphQL, registerUser } from './graphClient';

let stack: EmbeddedStack;
let dataDir: string;
let tap: Subscription;
/** Every `stream.ended` streaming published, as a test consumer group received it. */
const ends: StreamingStreamEvent[] = [];
const clients: Client[] = [];

const gql = graphQL(() => stack.url);
const register = async (email: string): Promise<string> => (await registerUser(gql, email)).token;
const eventually = <T>(read: () => Promise<T>, done: (value: T) => boolean) => eventuallyWithin(read, done, 600);

interface Sent {
  streamId: string;
  messageId: string;
}
async function send(token: string, content: string): Promise<Sent> {
  const res = await gql<{ sendMessage: { streamId: string; assistantMessage: { id: string } } }>(
    token,
    'mutation($content: String!) { sendMessage(input: { content: $content }) { streamId assistantMessage { id } } }',
    { content },
  );
  if (!res.data) throw new Error(`sendMessage failed: ${JSON.stringify(res.errors)}`);
  return { streamId: res.data.sendMessage.streamId, messageId: res.data.sendMessage.assistantMessage.id };
}

interface Chunk {
  seq: number;
  done: boolean;
}
/** A tab following the answer's `messageStream` over graphql-ws through the router. */
function watch(token: string, streamId: string): { chunks: Chunk[]; completed: () => boolean; errors: unknown[]; unsubscribe: () => void } {
  const client = createClient({
    url: stack.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  clients.push(client);
  const chunks: Chunk[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const unsubscribe = client.subscribe<{ messageStream: Chunk }>(
    { query: 'subscription($id: ID!) { messageStream(streamId: $id) { seq done } }', variables: { id: streamId } },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data) chunks.push(result.data.messageStream);
      },
      error: (error) => errors.push(error),
      complete: () => {
        completed = true;
      },
    },
  );
  return { chunks, completed: () => completed, errors, unsubscribe };
}

const MINE = '{ notifications(first: 20) { edges { node { id kind message { id } } } } }';
interface Item {
  id: string;
  kind: string;
  message: { id: string } | null;
}
const mine = async (token: string): Promise<Item[]> =>
  (await gql<{ notifications: { edges: Array<{ node: Item }> } }>(token, MINE)).data?.notifications.edges.map((e) => e.node) ?? [];

/** The `stream.ended` of `streamId`, once streaming has published it. */
const endOf = (streamId: string): Promise<StreamingStreamEvent | undefined> =>
  eventually(
    async () => ends.find((e) => e.subject.streamId === streamId),
    (e) => e !== undefined,
  );

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-background-answers-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  // A word every 40 ms: an answer lasts long enough for a client to leave before its end.
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    RATE_LIMITS: 'off',
    DEMO_TOKEN_INTERVAL_MS: '40',
  });
  tap = await stack.bus.subscribe({
    groupId: 'e2e.stream-ends-tap',
    topics: [streamingStreamV1.topic],
    handler: async (delivery) => {
      ends.push(streamingStreamV1.validate(delivery.event));
    },
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await tap.stop();
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('answer notifications only for answers nobody watched end', () => {
  it('an answer watched to its end creates none; the next one, in the background, exactly one', async () => {
    const ada = await register('ada@example.com');
    const watched = await send(ada, 'Tell me about engines while I watch');
    const tab = watch(ada, watched.streamId);
    await eventually(
      async () => tab.completed(),
      (done) => done,
    );
    expect(tab.errors).toEqual([]);
    expect(tab.chunks.at(-1)?.done).toBe(true);
    expect((await endOf(watched.streamId))?.payload).toMatchObject({ status: 'COMPLETE', watched: true });

    // Ends of one owner are consumed in order: once the background answer's notification is
    // listed, the watched answer's end was handled too.
    const background = await send(ada, 'Answer this while I am away');
    expect((await endOf(background.streamId))?.payload).toMatchObject({ status: 'COMPLETE', watched: false });
    const listed = await eventually(
      () => mine(ada),
      (items) => items.length > 0,
    );
    expect(listed).toEqual([{ id: expect.any(String), kind: 'ANSWER_COMPLETED', message: { id: background.messageId } }]);
  });

  it('an answer whose client unsubscribed before its end creates exactly one', async () => {
    const bob = await register('bob@example.com');
    const left = await send(bob, 'Start answering, then I close the tab before you finish this long answer');
    const tab = watch(bob, left.streamId);
    await eventually(
      async () => tab.chunks.length,
      (n) => n >= 2,
    );
    tab.unsubscribe();
    const ended = await endOf(left.streamId);
    // The tab left after its second chunk of about twenty: it was gone before the end.
    expect(tab.chunks.some((chunk) => chunk.done)).toBe(false);
    expect(ended?.payload).toMatchObject({ status: 'COMPLETE', watched: false });
    const listed = await eventually(
      () => mine(bob),
      (items) => items.length > 0,
    );
    expect(listed).toEqual([{ id: expect.any(String), kind: 'ANSWER_COMPLETED', message: { id: left.messageId } }]);
  });
});
