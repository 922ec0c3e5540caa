/**
 * `myEvents` end to end: the one-process stack behind `pnpm start`, through the router. Two "tabs"
 * of one user are two Apollo Clients (InMemoryCache; HTTP for operations, graphql-ws for
 * subscriptions): what tab A changes reaches tab B's normalized cache through its change feed,
 * without tab B asking the network again. Raw graphql-ws clients check the resume from a cursor,
 * the refusals, and that the router's per-user subscription cap bounds the feed too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** The router's cap on one user's open subscriptions in this stack (its existing SUBSCRIPTIONS_PER_USER). */
const CAP = 3;

let stack: EmbeddedStack;
let dataDir: string;
const sockets: Client[] = [];
const tabs: ApolloClient[] = [];

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

async function gqlHttp<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Response<T>> {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Response<T>;
}

async function register(email: string): Promise<string> {
  const res = await gqlHttp<{ register: { accessToken: string } }>(
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    { input: { email, name: email.split('@')[0], password: 'a perfectly fine passphrase' } },
  );
  const token = res.data?.register.accessToken;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return token;
}

/** Waits until `done` holds, a bounded number of times. */
async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean, tries = 600): Promise<T> {
  let value = await read();
  for (let i = 1; i < tries && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await read();
  }
  return value;
}

function socket(token: string): Client {
  const client = createClient({
    url: stack.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  sockets.push(client);
  return client;
}

/** One tab: Apollo Client over the router, counting the HTTP requests it makes. */
function tab(token: string): { client: ApolloClient; requests: () => number } {
  let requests = 0;
  const http = new HttpLink({
    uri: stack.url,
    headers: { authorization: `Bearer ${token}` },
    fetch: (input, init) => {
      requests += 1;
      return fetch(input, init);
    },
  });
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    new GraphQLWsLink(socket(token)),
    http,
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  tabs.push(client);
  return { client, requests: () => requests };
}

interface Change {
  eventId: string;
  cursor: string;
  kind: string;
  conversationId: string;
  messageId: string | null;
}

/** Everything one raw subscription received. */
interface Feed {
  events: Change[];
  errors: Array<{ extensions?: Record<string, unknown> }>;
}

const RAW = 'subscription($after: String) { myEvents(after: $after) { eventId cursor kind conversationId messageId } }';

function follow(client: Client, after?: string): Feed {
  const feed: Feed = { events: [], errors: [] };
  client.subscribe<{ myEvents: Change }>(
    { query: RAW, variables: after === undefined ? {} : { after } },
    {
      next: (result) => {
        if (result.errors) feed.errors.push(...result.errors);
        if (result.data) feed.events.push(result.data.myEvents);
      },
      error: (error) => feed.errors.push(...(Array.isArray(error) ? (error as Feed['errors']) : [{ extensions: { raw: String(error) } }])),
      complete: () => undefined,
    },
  );
  return feed;
}

const feedsOpen = (n: number) =>
  eventually(
    () => stack.notification.changeFeeds.size,
    (size) => size === n,
  );

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-my-events-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    RATE_LIMITS: 'off',
    SUBSCRIPTIONS_PER_USER: String(CAP),
  });
});

afterAll(async () => {
  for (const client of tabs) client.stop();
  await Promise.all(sockets.map((c) => c.dispose()));
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const CONVERSATION = gql`
  query TabConversation($id: ID!) {
    conversation(id: $id) {
      id
      title
      pinned
    }
  }
`;

const MY_EVENTS = gql`
  subscription TabEvents {
    myEvents {
      eventId
      cursor
      kind
      conversationId
      changedFields
      conversation {
        id
        title
        pinned
      }
      message {
        id
        role
        content
        status
      }
    }
  }
`;

interface TabEvent {
  kind: string;
  conversationId: string;
  message: { id: string; content: string; status: string } | null;
}

describe('myEvents through the router', () => {
  it('what tab A changes lands in tab B’s Apollo cache through the feed, without tab B refetching', async () => {
    const token = await register('tabs@example.com');
    const a = tab(token);
    const b = tab(token);

    const created = await a.client.mutate<{ createConversation: { id: string; title: string } }>({
      mutation: gql`
        mutation TabCreate {
          createConversation {
            id
            title
          }
        }
      `,
    });
    const conversationId = created.data?.createConversation.id ?? '';
    // Tab B shows the conversation: its cache holds the title as it was.
    const shown = await b.client.query<{ conversation: { title: string; pinned: boolean } }>({
      query: CONVERSATION,
      variables: { id: conversationId },
    });
    expect(shown.data?.conversation).toMatchObject({ title: 'New conversation', pinned: false });

    const received: TabEvent[] = [];
    const open = stack.notification.changeFeeds.size;
    const subscription = b.client.subscribe<{ myEvents: TabEvent }>({ query: MY_EVENTS }).subscribe({
      next: (result) => {
        if (result.data) received.push(result.data.myEvents);
      },
    });
    await feedsOpen(open + 1);
    const requestsBefore = b.requests();

    // Tab A renames and pins it.
    const renamed = await a.client.mutate({
      mutation: gql`
        mutation TabRename($id: ID!) {
          updateConversation(id: $id, input: { title: "Steam engines", pinned: true }) {
            id
            title
            pinned
          }
        }
      `,
      variables: { id: conversationId },
    });
    expect(renamed.error).toBeUndefined();
    await eventually(
      () => received.filter((e) => e.kind === 'CONVERSATION_UPDATED').length,
      (n) => n === 1,
    );
    const cached = (): { title: string; pinned: boolean } | null =>
      b.client.cache.readFragment({
        id: `Conversation:${conversationId}`,
        fragment: gql`
          fragment TabTitle on Conversation {
            title
            pinned
          }
        `,
      });
    expect(cached()).toEqual({ __typename: 'Conversation', title: 'Steam engines', pinned: true });

    // Tab A sends a message: tab B's cache gets the message, then the finished answer.
    const sent = await a.client.mutate<{ sendMessage: { userMessage: { id: string }; assistantMessage: { id: string } } }>({
      mutation: gql`
        mutation TabSend($id: ID!) {
          sendMessage(input: { conversationId: $id, content: "Tell me about boilers" }) {
            userMessage {
              id
            }
            assistantMessage {
              id
            }
          }
        }
      `,
      variables: { id: conversationId },
    });
    const userMessageId = sent.data?.sendMessage.userMessage.id ?? '';
    const answerId = sent.data?.sendMessage.assistantMessage.id ?? '';
    await eventually(
      () => received.some((e) => e.kind === 'MESSAGE_COMPLETED' && e.message?.id === answerId),
      (done) => done,
    );
    const message = (id: string): { content: string; status: string } | null =>
      b.client.cache.readFragment({
        id: `Message:${id}`,
        fragment: gql`
          fragment TabMessage on Message {
            content
            status
          }
        `,
      });
    expect(message(userMessageId)).toEqual({ __typename: 'Message', content: 'Tell me about boilers', status: 'COMPLETE' });
    const answer = await gqlHttp<{ conversation: { lastMessage: { id: string; content: string; status: string } } }>(
      token,
      'query($id: ID!) { conversation(id: $id) { lastMessage { id content status } } }',
      { id: conversationId },
    );
    expect(answer.data?.conversation.lastMessage).toMatchObject({ id: answerId, status: 'COMPLETE' });
    expect(message(answerId)).toEqual({
      __typename: 'Message',
      content: answer.data?.conversation.lastMessage.content,
      status: 'COMPLETE',
    });
    // The title set in tab A is never replaced by a generated one: still the same in tab B.
    expect(cached()).toEqual({ __typename: 'Conversation', title: 'Steam engines', pinned: true });
    // A feed opened without a cursor starts at the newest change logged: the conversation's
    // creation, still on its way to the log when tab B subscribed, may come first (harmless to a cache).
    const kinds = received.map((e) => e.kind).filter((kind, i) => !(i === 0 && kind === 'CONVERSATION_CREATED'));
    expect(kinds.slice(0, 3)).toEqual(['CONVERSATION_UPDATED', 'MESSAGE_CREATED', 'MESSAGE_CREATED']);
    expect(received.every((e) => e.conversationId === conversationId)).toBe(true);
    // Nothing of this reached tab B over HTTP: its cache was updated by the feed alone.
    expect(b.requests()).toBe(requestsBefore);
    subscription.unsubscribe();
  });

  it('a generated title reaches tab B’s cached conversation', async () => {
    const token = await register('titles@example.com');
    const a = tab(token);
    const b = tab(token);
    const received: Array<{ kind: string; changedFields: string[]; conversation: { id: string; title: string } | null }> = [];
    const open = stack.notification.changeFeeds.size;
    const subscription = b.client.subscribe<{ myEvents: (typeof received)[number] }>({ query: MY_EVENTS }).subscribe({
      next: (result) => {
        if (result.data) received.push(result.data.myEvents);
      },
    });
    await feedsOpen(open + 1);
    const sent = await a.client.mutate<{ sendMessage: { conversation: { id: string } } }>({
      mutation: gql`
        mutation TabFirst {
          sendMessage(input: { content: "How do lighthouses work at night?" }) {
            conversation {
              id
            }
          }
        }
      `,
    });
    const conversationId = sent.data?.sendMessage.conversation.id ?? '';
    const titled = await eventually(
      () => received.find((e) => e.kind === 'CONVERSATION_UPDATED' && e.changedFields.includes('title')),
      (found) => found !== undefined,
    );
    // Conversation and message changes come from two topics, so a MESSAGE_CREATED may be logged
    // before its conversation's CONVERSATION_CREATED: both arrive, in either order.
    expect(received.filter((e) => e.kind === 'CONVERSATION_CREATED').map((e) => e.conversation?.id)).toEqual([conversationId]);
    const network = await gqlHttp<{ conversation: { title: string } }>(token, 'query($id: ID!) { conversation(id: $id) { title } }', {
      id: conversationId,
    });
    expect(titled?.conversation?.id).toBe(conversationId);
    const cachedTitle = b.client.cache.readFragment<{ title: string }>({
      id: `Conversation:${conversationId}`,
      fragment: gql`
        fragment TabGenerated on Conversation {
          title
        }
      `,
    });
    expect(cachedTitle?.title).toBe(network.data?.conversation.title);
    subscription.unsubscribe();
  });

  it('resumes from a cursor exactly; another user’s cursor gets nothing of theirs; a malformed cursor is BAD_USER_INPUT', async () => {
    const token = await register('resume@example.com');
    const open = stack.notification.changeFeeds.size;
    const firstSocket = socket(token);
    const first = follow(firstSocket);
    await feedsOpen(open + 1);
    const created = await gqlHttp<{ createConversation: { id: string } }>(token, 'mutation { createConversation { id } }');
    const id = created.data?.createConversation.id ?? '';
    const rename = (title: string) =>
      gqlHttp(token, 'mutation($id: ID!, $t: String!) { updateConversation(id: $id, input: { title: $t }) { id } }', { id, t: title });
    await rename('One');
    await eventually(
      () => first.events.length,
      (n) => n === 2,
    );
    await firstSocket.dispose(); // the tab goes offline
    await feedsOpen(open);
    await rename('Two');
    await rename('Three');
    const log = await eventually(
      () => gqlHttp<{ conversation: { title: string } }>(token, 'query($id: ID!) { conversation(id: $id) { title } }', { id }),
      (res) => res.data?.conversation.title === 'Three',
    );
    expect(log.errors).toBeUndefined();

    const resumed = follow(socket(token), first.events[1]?.cursor);
    await eventually(
      () => resumed.events.length,
      (n) => n === 2,
    );
    await rename('Four');
    await eventually(
      () => resumed.events.length,
      (n) => n === 3,
    );
    expect(resumed.events.map((e) => e.kind)).toEqual(['CONVERSATION_UPDATED', 'CONVERSATION_UPDATED', 'CONVERSATION_UPDATED']);
    expect(new Set([...first.events, ...resumed.events].map((e) => e.eventId)).size).toBe(5);
    expect(resumed.errors).toEqual([]);

    const intruder = await register('intruder@example.com');
    // The intruder has a log of their own, so the stolen cursor's seq exists in it.
    await gqlHttp(intruder, 'mutation { createConversation { id } }');
    await gqlHttp(intruder, 'mutation { createConversation { id } }');
    const stolen = follow(socket(intruder), first.events[0]?.cursor);
    const malformed = follow(socket(intruder), 'not a cursor');
    await eventually(
      () => stolen.errors.length + malformed.errors.length,
      (n) => n >= 2,
    );
    expect(stolen.events).toEqual([]);
    expect(stolen.errors[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'CURSOR_EXPIRED' });
    expect(malformed.events).toEqual([]);
    expect(malformed.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('one user opening many feeds is bounded by the router’s per-user subscription cap', async () => {
    const token = await register('greedy@example.com');
    const open = stack.notification.changeFeeds.size;
    const held = Array.from({ length: CAP }, () => follow(socket(token)));
    // Identical subscriptions of one user may share one upstream: at least one feed is open.
    await eventually(
      () => stack.notification.changeFeeds.size,
      (n) => n > open,
    );
    const over = follow(socket(token));
    await eventually(
      () => over.errors.length,
      (n) => n > 0,
    );
    expect(over.errors[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'subscriptionsPerUser' });
    expect(held.map((f) => f.errors)).toEqual(held.map(() => []));
  });
});
