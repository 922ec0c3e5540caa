/**
 * `messageStream` for unknown, finished, expired and foreign stream ids, through the router with
 * the real `graphql-ws` client. Run with STREAM_START_WAIT_MS far beyond the test timeout: an id
 * the old code waited for (every unknown or expired one, 30 s by default) would fail its test, so
 * each answer here comes without any wait for a `start`. The same scenarios run on the
 * one-process stack and on the distributed one (conversation and streaming sharing Redis).
 */
import { tokenStreamKey, tokenStreamMetaKey } from '@chatgraph/schema';
import { codeOf, finalAnswer, register, sendTracked, textOf, watch, wsClient, type Watch } from './liveChatScenarios';

export interface StreamIdTarget {
  /** The router's `/graphql` URL. */
  url(): string;
  /** Deletes keys of the shared kv store: what STREAM_RETENTION_MS does when it passes. */
  del(key: string): Promise<unknown>;
  /** Generous waits for the real servers. */
  timeoutMs: number;
}

/** The environment every service of the target's stack gets. */
export const STREAM_ID_ENV = { STREAM_START_WAIT_MS: '600000', DEMO_TOKEN_INTERVAL_MS: '5' };

export function describeStreamIds(name: string, target: () => StreamIdTarget): void {
  describe(`stream ids through the router (${name})`, () => {
    let t: StreamIdTarget;
    let ada: string;
    let bob: string;
    const clients: Array<ReturnType<typeof wsClient>> = [];

    beforeAll(async () => {
      t = target();
      const run = Date.now();
      ada = await register(t.url(), `ada-${run}@streamids.test`, 'Ada');
      bob = await register(t.url(), `bob-${run}@streamids.test`, 'Bob');
    });

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.dispose()));
    });

    const subscribe = (token: string, streamId: string, after?: number): Watch => {
      const client = wsClient(t.url(), token);
      clients.push(client);
      return watch(client, streamId, after);
    };

    const extensionsOf = (error: unknown): Record<string, unknown> | undefined =>
      (error as Array<{ extensions?: Record<string, unknown> }> | undefined)?.[0]?.extensions;

    /** What STREAM_RETENTION_MS does once it passes: stream and meta are gone. */
    const expire = async (streamId: string): Promise<void> => {
      await t.del(tokenStreamKey(streamId));
      await t.del(tokenStreamMetaKey(streamId));
    };

    /** A turn streamed to its end, subscribed right after sendMessage (so before it started). */
    async function finishedTurn(token: string) {
      const sent = await sendTracked(t.url(), token, { content: 'Tell me something short' });
      const live = subscribe(token, sent.streamId);
      expect((await live.ended).error).toBeUndefined();
      expect(live.chunks.at(-1)?.done).toBe(true);
      return { sent, live };
    }

    it('answers NOT_FOUND (UNKNOWN_STREAM) for an id nothing names, without waiting', async () => {
      const ended = await subscribe(ada, `no-such-stream-${Date.now()}`).ended;
      expect(codeOf(ended.error)).toBe('NOT_FOUND');
      expect(extensionsOf(ended.error)?.reason).toBe('UNKNOWN_STREAM');
    });

    it('replays a finished generation from the start and completes', async () => {
      const { sent, live } = await finishedTurn(ada);
      const replay = subscribe(ada, sent.streamId);
      expect((await replay.ended).error).toBeUndefined();
      expect(replay.chunks.map((c) => c.seq)).toEqual(live.chunks.map((c) => c.seq));
      expect(textOf(replay.chunks)).toBe(textOf(live.chunks));
      expect(replay.chunks.at(-1)).toMatchObject({
        done: true,
        status: 'COMPLETE',
        message: { id: sent.assistantMessage.id, status: 'COMPLETE' },
      });
    });

    it('ends a generation whose stream expired with NOT_FOUND (STREAM_ENDED) and the message id to read instead', async () => {
      const { sent, live } = await finishedTurn(ada);
      await expire(sent.streamId);
      const late = await subscribe(ada, sent.streamId).ended;
      expect(codeOf(late.error)).toBe('NOT_FOUND');
      expect(extensionsOf(late.error)).toMatchObject({ reason: 'STREAM_ENDED', messageId: sent.assistantMessage.id });
      // The client reads the message instead: the whole answer is there.
      expect(await finalAnswer(t.url(), ada, sent.assistantMessage.id, t.timeoutMs)).toMatchObject({
        status: 'COMPLETE',
        content: textOf(live.chunks),
      });
    });

    it("refuses another user's stream id with FORBIDDEN, finished or expired", async () => {
      const { sent } = await finishedTurn(ada);
      expect(codeOf((await subscribe(bob, sent.streamId).ended).error)).toBe('FORBIDDEN');
      await expire(sent.streamId);
      expect(codeOf((await subscribe(bob, sent.streamId).ended).error)).toBe('FORBIDDEN');
    });
  });
}
