/**
 * Live chat over subscriptions served on HTTP, with the client libraries apps use: the
 * `graphql-sse` package's client (GraphQL over SSE, distinct connections mode) and Apollo Client 4
 * (HttpLink's multipart subscriptions, InMemoryCache). A whole answer streams, resumes with
 * `after`, and credentials are refused with codes the clients surface; on the one-process stack
 * many SSE streams from one user hit the same caps as sockets and give everything back on disconnect.
 */
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql as apolloGql } from '@apollo/client';
import { createClient } from 'graphql-sse';
import type { Router } from '@chatgraph/router';
import {
  codeOf,
  expectWellFormed,
  finalAnswer,
  register,
  sendTracked,
  streamed,
  textOf,
  wsClient,
  watch as wsWatch,
  type Chunk,
} from './liveChatScenarios';

export interface HttpStreamTarget {
  /** The router's `/graphql` URL. */
  routerUrl(): string;
  timeoutMs: number;
}

/** The router itself (one-process mode), started with SUBSCRIPTION_SOCKETS_PER_USER = `socketsPerUser`. */
export interface EmbeddedRouter {
  router: Router;
  socketsPerUser: number;
}

/** The stream with what a chat view shows of the message: its final state is on the `done` chunk. */
const STREAM = /* GraphQL */ `
  subscription Stream($streamId: ID!, $after: Int) {
    messageStream(streamId: $streamId, after: $after) {
      streamId
      seq
      delta
      done
      finishReason
      status
      usage {
        promptTokens
        completionTokens
        totalTokens
      }
      message {
        id
        status
        content
        conversation {
          id
          title
        }
      }
    }
  }
`;

type Result = { data?: { messageStream: Chunk } | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };

/** A stream watched by some client: its chunks, and how it ended (errors the client surfaced, if any). */
interface Watched {
  readonly chunks: Chunk[];
  readonly ended: Promise<{ error?: unknown }>;
  atLeast(count: number): Promise<void>;
  stop(): void;
}

function recorder(): { chunks: Chunk[]; push(chunk: Chunk): void; atLeast(count: number): Promise<void>; finish(): void } {
  const chunks: Chunk[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let finished = false;
  const wake = (): void => {
    for (const w of [...waiters]) {
      if (!finished && chunks.length < w.count) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  return {
    chunks,
    push: (chunk) => {
      chunks.push(chunk);
      wake();
    },
    atLeast: (count) =>
      finished || chunks.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    finish: () => {
      finished = true;
      wake();
    },
  };
}

/** Watches a stream with the `graphql-sse` client (no retries: a refusal shows at once). */
export function sseWatch(url: string, token: string | undefined, streamId: string, after?: number): Watched {
  const client = createClient({ url, headers: token ? { authorization: `Bearer ${token}` } : {}, retryAttempts: 0 });
  const rec = recorder();
  let stop: () => void = () => undefined;
  const ended = new Promise<{ error?: unknown }>((resolve) => {
    let errors: unknown;
    stop = client.subscribe<Result['data']>(
      { query: STREAM, variables: after === undefined ? { streamId } : { streamId, after } },
      {
        next: (result) => {
          const r = result as Result;
          if (r.data?.messageStream) rec.push(r.data.messageStream);
          if (r.errors) errors = r.errors;
        },
        error: (error) => {
          rec.finish();
          resolve({ error });
        },
        complete: () => {
          rec.finish();
          resolve(errors === undefined ? {} : { error: errors });
        },
      },
    );
  });
  return { chunks: rec.chunks, ended, atLeast: rec.atLeast, stop: () => (stop(), rec.finish()) };
}

/** An Apollo Client 4 of the router: HttpLink (multipart subscriptions) and a normalized cache. */
export function apolloClient(url: string, token: string | undefined): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri: url, headers: token ? { authorization: `Bearer ${token}` } : {} }),
    cache: new InMemoryCache(),
  });
}

/** Watches a stream with Apollo Client's HttpLink, which speaks multipart subscriptions. */
export function apolloWatch(client: ApolloClient, streamId: string, after?: number): Watched {
  const rec = recorder();
  let stop: () => void = () => undefined;
  const ended = new Promise<{ error?: unknown }>((resolve) => {
    const subscription = client
      .subscribe<NonNullable<Result['data']>>({
        query: apolloGql(STREAM),
        variables: after === undefined ? { streamId } : { streamId, after },
      })
      .subscribe({
        next: (result) => {
          if (result.data?.messageStream) rec.push(result.data.messageStream as Chunk);
          if (result.error) {
            rec.finish();
            resolve({ error: result.error });
          }
        },
        error: (error: unknown) => {
          rec.finish();
          resolve({ error });
        },
        complete: () => {
          rec.finish();
          resolve({});
        },
      });
    stop = () => {
      subscription.unsubscribe();
      rec.finish();
    };
  });
  return { chunks: rec.chunks, ended, atLeast: rec.atLeast, stop };
}

/** The code Apollo Client surfaced: a GraphQL error's (refusal) or a protocol error's (the stream ended with it). */
function apolloCode(error: unknown): string | undefined {
  const errors = (error as { errors?: Array<{ extensions?: { code?: unknown } }> } | undefined)?.errors;
  const code = errors?.[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The scenarios; with `embedded`, the abuse scenario too (it reads the router's counters). */
export function describeHttpStreams(name: string, target: () => HttpStreamTarget, embedded?: () => EmbeddedRouter): void {
  describe(`live chat over HTTP subscriptions through the router (${name})`, () => {
    let url: string;
    let ada: string;
    let timeoutMs: number;

    beforeAll(async () => {
      const t = target();
      url = t.routerUrl();
      timeoutMs = t.timeoutMs;
      ada = await register(url, `ada-http-${Date.now()}@example.com`, 'Ada Lovelace');
    });

    it('graphql-sse: streams a whole answer, in order, the done chunk showing the finished message', async () => {
      const sent = await sendTracked(url, ada, { content: 'Tell me about the analytical engine' });
      const stream = sseWatch(url, ada, sent.streamId);
      expect((await stream.ended).error).toBeUndefined();
      expectWellFormed(stream.chunks);
      const done = stream.chunks.at(-1);
      expect(done).toMatchObject({
        done: true,
        status: 'COMPLETE',
        finishReason: 'STOP',
        message: { id: sent.assistantMessage.id, status: 'COMPLETE', content: textOf(stream.chunks) },
      });
      const stored = await finalAnswer(url, ada, sent.assistantMessage.id, timeoutMs);
      expect(stored).toMatchObject({ status: 'COMPLETE', content: textOf(stream.chunks) });
    });

    it('graphql-sse: resumes with `after` with exactly the chunks it missed', async () => {
      const sent = await sendTracked(url, ada, { content: 'A long answer, please, about Babbage and his engines' });
      const first = sseWatch(url, ada, sent.streamId);
      await first.atLeast(3);
      first.stop();
      const seen = first.chunks.slice();
      const lastSeq = seen.at(-1)?.seq ?? 0;
      const resumed = sseWatch(url, ada, sent.streamId, lastSeq);
      expect((await resumed.ended).error).toBeUndefined();
      expectWellFormed(resumed.chunks, lastSeq + 1);
      const whole = sseWatch(url, ada, sent.streamId);
      await whole.ended;
      expect(streamed([...seen, ...resumed.chunks])).toEqual(streamed(whole.chunks));
    });

    it('graphql-sse: no token and a bad token are refused with UNAUTHENTICATED in the stream, before any chunk', async () => {
      const sent = await sendTracked(url, ada, { content: 'This stream is mine' });
      const anonymous = sseWatch(url, undefined, sent.streamId);
      expect(codeOf((await anonymous.ended).error)).toBe('UNAUTHENTICATED');
      const forged = sseWatch(url, `${ada.slice(0, -4)}AAAA`, sent.streamId);
      expect(codeOf((await forged.ended).error)).toBe('UNAUTHENTICATED');
      expect([...anonymous.chunks, ...forged.chunks]).toEqual([]);
    });

    it('Apollo Client multipart: streams a whole answer; after `done` the cache holds the finished message, as a network read does', async () => {
      const sent = await sendTracked(url, ada, { content: 'Explain the difference engine' });
      const client = apolloClient(url, ada);
      const stream = apolloWatch(client, sent.streamId);
      expect((await stream.ended).error).toBeUndefined();
      expectWellFormed(stream.chunks);
      const id = client.cache.identify({ __typename: 'Message', id: sent.assistantMessage.id });
      const cached = (client.cache.extract() as Record<string, Record<string, unknown> | undefined>)[id ?? ''];
      expect(cached).toMatchObject({ status: 'COMPLETE', content: textOf(stream.chunks) });
      const stored = await finalAnswer(url, ada, sent.assistantMessage.id, timeoutMs);
      expect({ status: cached?.status, content: cached?.content }).toEqual({ status: stored?.status, content: stored?.content });
    });

    it('Apollo Client multipart: resumes with `after`; refuses no token and a bad token with a code it surfaces', async () => {
      const sent = await sendTracked(url, ada, { content: 'Another long answer about the engines, please' });
      const first = apolloWatch(apolloClient(url, ada), sent.streamId);
      await first.atLeast(3);
      first.stop();
      const lastSeq = first.chunks.at(-1)?.seq ?? 0;
      const resumed = apolloWatch(apolloClient(url, ada), sent.streamId, lastSeq);
      expect((await resumed.ended).error).toBeUndefined();
      expectWellFormed(resumed.chunks, lastSeq + 1);

      const anonymous = await apolloWatch(apolloClient(url, undefined), sent.streamId).ended;
      expect(apolloCode(anonymous.error)).toBe('UNAUTHENTICATED');
      const forged = await apolloWatch(apolloClient(url, `${ada.slice(0, -4)}AAAA`), sent.streamId).ended;
      expect(CombinedGraphQLErrors.is(forged.error)).toBe(true);
      expect(apolloCode(forged.error)).toBe('UNAUTHENTICATED');
    });

    // Only where the router's counters can be read (one process): defined there, not skipped elsewhere.
    if (embedded)
      it('abuse: many SSE streams of one user hit the same cap as sockets, and every count returns to zero once they go', async () => {
        const { router, socketsPerUser } = (embedded as () => EmbeddedRouter)();
        const eve = await register(url, `eve-http-${Date.now()}@example.com`, 'Eve');
        const sent = await sendTracked(url, eve, { content: 'Please write a very long essay that many tabs will watch' });
        const streams = Array.from({ length: socketsPerUser }, () => sseWatch(url, eve, sent.streamId));
        await Promise.all(streams.map((s) => s.atLeast(1)));
        const extra = Array.from({ length: 5 }, () => sseWatch(url, eve, sent.streamId));
        for (const refused of extra) expect(codeOf((await refused.ended).error)).toBe('RATE_LIMITED');
        // A socket of the same user is over the same cap (4429), and Apollo's multipart stream too.
        let closedWith: number | undefined;
        const socket = wsWatch(
          wsClient(url, eve, (code) => (closedWith = code)),
          sent.streamId,
        );
        await socket.ended;
        expect(closedWith).toBe(4429);
        expect(apolloCode((await apolloWatch(apolloClient(url, eve), sent.streamId).ended).error)).toBe('RATE_LIMITED');

        for (const s of streams) s.stop();
        const deadline = Date.now() + timeoutMs;
        while (router.subscriptions.subscriptions > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        expect(router.subscriptions.subscriptions).toBe(0);
        const connections = await router.metrics.registry.getSingleMetric('graphql_subscription_connections_active')?.get();
        expect(connections?.values[0]?.value).toBe(0);
        // The slots are free again: the same user streams the rest of the answer.
        const again = sseWatch(url, eve, sent.streamId);
        await again.atLeast(1);
        again.stop();
      });
  });
}
