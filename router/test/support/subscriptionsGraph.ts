import { codedError, createSubgraph, type Logger, type Principal, type RequestContext, type Subgraph } from '@chatgraph/kit';

/**
 * Two small subgraphs for subscription tests, built with the kit like real services:
 * - `streaming` owns `Subscription.messageStream`; its chunks reference a `Message` entity it
 *   cannot resolve (`@key(..., resolvable: false)`), exactly the shape of the real stream;
 * - `chat` resolves `Message` (status, content, who read it) and the nested `Conversation`.
 * Tests publish chunks, end or fail streams, and read what each subgraph saw.
 */
export const STREAMING_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Message @key(fields: "id", resolvable: false) {
    id: ID!
  }
  type StreamChunk {
    seq: Int!
    delta: String!
    "Set on the first and the last chunk only, as the real stream does."
    message: Message
    "True on the last chunk, as the real stream's."
    done: Boolean
    "The principal the streaming subgraph received for this subscription, as JSON."
    principal: String!
  }
  type Query {
    streamingPing: String!
  }
  type Subscription {
    messageStream(messageId: ID!, after: Int): StreamChunk!
  }
`;

export const CHAT_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Message @key(fields: "id") {
    id: ID!
    status: String!
    content: String!
    "The user the chat subgraph resolved this entity for: proves _entities fetches are signed with the caller."
    readBy: String!
    conversation: Conversation!
  }
  type Conversation @key(fields: "id") {
    id: ID!
    title: String!
    owner: String!
    latest: Message!
    messages(first: Int): [Message!]!
  }
  type Query {
    conversation(id: ID!): Conversation
  }
`;

export interface Chunk {
  seq: number;
  delta: string;
  message: { id: string } | null;
  done?: boolean;
}

type Item = { kind: 'chunk'; chunk: Chunk } | { kind: 'end' } | { kind: 'fail'; code: 'FORBIDDEN' | 'NOT_FOUND' };

/** One message's stream: its log (for `after`) and the live subscribers. */
class Stream {
  readonly log: Item[] = [];
  readonly waiting = new Set<() => void>();

  push(item: Item): void {
    this.log.push(item);
    for (const wake of [...this.waiting]) wake();
  }
}

export interface TestStreaming {
  readonly subgraph: Subgraph;
  readonly url: string;
  readonly graphqlUrl: string;
  /** Subscriptions opened at this subgraph, in total, and the principals they came with. */
  readonly opened: Principal[];
  /** Subscriptions open at this subgraph now. */
  active(): number;
  publish(messageId: string, chunk: Chunk): void;
  /** Publishes `count` chunks after the last one; `size` pads each delta (for slow-consumer bursts). */
  burst(messageId: string, count: number, size?: number): void;
  end(messageId: string): void;
  fail(messageId: string, code: 'FORBIDDEN' | 'NOT_FOUND'): void;
  stop(): Promise<void>;
}

export async function startTestStreaming(options: { signingSecret: string; logger: Logger }): Promise<TestStreaming> {
  const streams = new Map<string, Stream>();
  const opened: Principal[] = [];
  let active = 0;
  const streamOf = (id: string): Stream => {
    let stream = streams.get(id);
    if (!stream) {
      stream = new Stream();
      streams.set(id, stream);
    }
    return stream;
  };
  const lastSeq = (id: string): number => {
    const chunks = streamOf(id).log.filter((i): i is Extract<Item, { kind: 'chunk' }> => i.kind === 'chunk');
    return chunks[chunks.length - 1]?.chunk.seq ?? 0;
  };

  /**
   * A subscriber of one stream: the log from the start (skipping seq <= after), then live items.
   * A hand-written iterator rather than an async generator, so `return()` ends it even while it
   * waits for the next item (a generator suspended on an await cannot be returned from).
   */
  const follow = (messageId: string, after: number, ctx: RequestContext): AsyncIterableIterator<{ chunk: Chunk; principal: Principal }> => {
    const stream = streamOf(messageId);
    opened.push(ctx.principal);
    active++;
    let index = 0;
    let done = false;
    let wake: (() => void) | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      active--;
      if (wake) stream.waiting.delete(wake);
      wake?.();
    };
    const iterator: AsyncIterableIterator<{ chunk: Chunk; principal: Principal }> = {
      [Symbol.asyncIterator]: () => iterator,
      async next() {
        while (!done) {
          const item = stream.log[index];
          if (!item) {
            await new Promise<void>((resolve) => {
              wake = () => {
                if (wake) stream.waiting.delete(wake);
                wake = undefined;
                resolve();
              };
              stream.waiting.add(wake);
            });
            continue;
          }
          index++;
          if (item.kind === 'end') break;
          if (item.kind === 'fail') {
            finish();
            throw codedError(item.code, item.code === 'FORBIDDEN' ? 'Not your message' : 'No such message');
          }
          if (item.chunk.seq > after) return { done: false, value: { chunk: item.chunk, principal: ctx.principal } };
        }
        finish();
        return { done: true, value: undefined };
      },
      async return() {
        finish();
        return { done: true, value: undefined };
      },
    };
    return iterator;
  };

  const subgraph = createSubgraph<RequestContext>({
    name: 'streaming',
    typeDefs: STREAMING_SDL,
    logger: options.logger,
    signingSecret: options.signingSecret,
    context: (base) => base,
    resolvers: {
      Query: { streamingPing: () => 'pong' },
      Subscription: {
        messageStream: {
          subscribe: (_p: unknown, args: { messageId: string; after?: number | null }, ctx: RequestContext) =>
            follow(args.messageId, args.after ?? 0, ctx),
          resolve: (event: { chunk: Chunk; principal: Principal }) => ({ ...event.chunk, principal: JSON.stringify(event.principal) }),
        },
      },
    } as never,
  });
  const url = await subgraph.start();
  return {
    subgraph,
    url,
    graphqlUrl: `${url}/graphql`,
    opened,
    active: () => active,
    publish: (messageId, chunk) => streamOf(messageId).push({ kind: 'chunk', chunk }),
    burst(messageId, count, size = 16) {
      const from = lastSeq(messageId);
      for (let i = 1; i <= count; i++)
        streamOf(messageId).push({ kind: 'chunk', chunk: { seq: from + i, delta: 'x'.repeat(size), message: null } });
    },
    end: (messageId) => streamOf(messageId).push({ kind: 'end' }),
    fail: (messageId, code) => streamOf(messageId).push({ kind: 'fail', code }),
    stop: () => subgraph.stop(),
  };
}

export interface TestChat {
  readonly subgraph: Subgraph;
  readonly url: string;
  readonly graphqlUrl: string;
  /** `_entities` representations of Message resolved, in total. */
  readonly resolved: { messages: number };
  setStatus(messageId: string, status: string): void;
  /** While true, resolving a Message fails UNAVAILABLE (its store is down); `resolved` still counts. */
  unavailable: boolean;
  stop(): Promise<void>;
}

export async function startTestChat(options: { signingSecret: string; logger: Logger }): Promise<TestChat> {
  const statuses = new Map<string, string>();
  const resolved = { messages: 0 };
  const state = { unavailable: false };
  const who = (principal: Principal): string => (principal.kind === 'user' ? principal.userId : principal.kind);
  const subgraph = createSubgraph<RequestContext>({
    name: 'chat',
    typeDefs: CHAT_SDL,
    logger: options.logger,
    signingSecret: options.signingSecret,
    context: (base) => base,
    resolvers: {
      Query: { conversation: (_p: unknown, args: { id: string }) => ({ id: args.id }) },
      Message: {
        __resolveReference: (ref: { id: string }, ctx: RequestContext) => {
          resolved.messages++;
          if (state.unavailable) throw codedError('UNAVAILABLE', 'A dependency is unavailable, try again');
          return {
            id: ref.id,
            status: statuses.get(ref.id) ?? 'STREAMING',
            content: `content of ${ref.id}`,
            readBy: who(ctx.principal),
            conversation: { id: `conversation-of-${ref.id}` },
          };
        },
      },
      Conversation: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
        title: (conversation: { id: string }) => `Title of ${conversation.id}`,
        owner: (_c: unknown, _a: unknown, ctx: RequestContext) => who(ctx.principal),
        latest: (conversation: { id: string }) => ({ id: `latest-of-${conversation.id}` }),
        messages: (conversation: { id: string }, args: { first?: number | null }) =>
          Array.from({ length: args.first ?? 1 }, (_v, i) => ({ id: `${conversation.id}-${i}` })),
      },
    },
  });
  const url = await subgraph.start();
  return {
    subgraph,
    url,
    graphqlUrl: `${url}/graphql`,
    resolved,
    setStatus: (messageId, status) => statuses.set(messageId, status),
    get unavailable() {
      return state.unavailable;
    },
    set unavailable(value: boolean) {
      state.unavailable = value;
    },
    stop: () => subgraph.stop(),
  };
}
