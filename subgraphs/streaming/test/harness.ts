import { createLogger, signConnectionParams, type Principal } from '@chatgraph/kit';
import { kvStoreFromConfig, type KvStore, type StreamEntry } from '@chatgraph/kit/kv';
import { eventBusFromConfig, type EventBus } from '@chatgraph/kit/events';
import {
  encodeOutcomeApplied,
  encodeTokenStreamEntry,
  ownerStreamsKey,
  tokenStreamAppliedKey,
  tokenStreamKey,
  tokenStreamMetaKey,
  tokenStreamRequestKey,
  type TokenStreamEntry,
  type TokenStreamMeta,
  type TokenStreamOutcome,
  type TokenStreamRequest,
  type TokenUsage,
} from '@chatgraph/schema';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  embeddedTarget,
  eventually as poll,
  realServersEnv,
  realTarget,
  startSubgraph,
  type SubgraphHarness,
  type Target as SharedTarget,
} from '@chatgraph/test-support';
import { loadStreamingConfig } from '../src/config';
import { buildStreaming, type Streaming } from '../src/server';

export { ANON, codeOf, ok, userPrincipal } from '@chatgraph/test-support';

export const SECRET = 'streaming-test-secret-0123456789abcdef';

let ids = 0;
/** A fresh stream id (unique across runs, so a shared Redis never mixes runs). */
export const newStreamId = (): string => `st_${process.pid}_${Date.now().toString(36)}_${++ids}`;

/** A kv store that counts the followers open on it, to see subscriptions release theirs. */
export interface TrackingKv extends KvStore {
  readonly openFollowers: number;
}

function trackingKv(inner: KvStore): TrackingKv {
  let open = 0;
  const tracked: TrackingKv = Object.create(inner) as TrackingKv;
  Object.defineProperty(tracked, 'openFollowers', { get: () => open });
  tracked.follow = (stream, options) => {
    const follower = inner.follow(stream, options);
    open += 1;
    let ended = false;
    const end = (): void => {
      if (!ended) {
        ended = true;
        open -= 1;
      }
    };
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        const result = await follower.next();
        if (result.done) end();
        return result;
      },
      async return() {
        end();
        return (await follower.return?.()) ?? { done: true, value: undefined };
      },
    } satisfies AsyncIterableIterator<StreamEntry>;
  };
  // Methods of the prototype chain need the real store as `this`.
  for (const name of [
    'start',
    'stop',
    'ping',
    'get',
    'set',
    'del',
    'incrBy',
    'expire',
    'rateLimit',
    'append',
    'read',
    'trim',
    'publish',
    'subscribe',
  ] as const) {
    (tracked as unknown as Record<string, unknown>)[name] = (inner[name] as (...a: unknown[]) => unknown).bind(inner);
  }
  return tracked;
}

/** One generation written the way ai-gateway writes it (schema/events/tokenStreams.ts). */
export class TestGeneration {
  readonly conversationId: string;
  readonly messageId: string;
  readonly model = 'local-demo';
  readonly startedAt: string;

  constructor(
    private readonly kv: KvStore,
    readonly streamId: string,
    readonly ownerId: string,
    startedAt = new Date(),
  ) {
    this.conversationId = `c-${streamId}`;
    this.messageId = `m-${streamId}`;
    this.startedAt = startedAt.toISOString();
  }

  private meta(state: TokenStreamMeta['state'], end?: { outcome: TokenStreamOutcome; finishReason: string }): TokenStreamMeta {
    return {
      streamId: this.streamId,
      ownerId: this.ownerId,
      conversationId: this.conversationId,
      messageId: this.messageId,
      model: this.model,
      state,
      startedAt: this.startedAt,
      ...(end ? { endedAt: new Date().toISOString(), ...end } : {}),
    };
  }

  /** Plays conversation creating the generation: the request record, before anything is streamed. */
  async request(): Promise<void> {
    const record: TokenStreamRequest = {
      streamId: this.streamId,
      ownerId: this.ownerId,
      conversationId: this.conversationId,
      messageId: this.messageId,
      requestedAt: this.startedAt,
    };
    await this.kv.set(tokenStreamRequestKey(this.streamId), JSON.stringify(record));
  }

  /** What the retention TTL does once it passes: the stream and its meta are gone (the request record and marker stay). */
  async expire(): Promise<void> {
    await this.kv.del(tokenStreamKey(this.streamId));
    await this.kv.del(tokenStreamMetaKey(this.streamId));
  }

  append(entry: TokenStreamEntry): Promise<number> {
    return this.kv.append(tokenStreamKey(this.streamId), encodeTokenStreamEntry(entry));
  }

  /** The `start` entry (seq 1), the meta, and the owner index entry. */
  async start(options: { withMeta?: boolean } = {}): Promise<number> {
    const seq = await this.append({
      type: 'start',
      ownerId: this.ownerId,
      conversationId: this.conversationId,
      messageId: this.messageId,
      model: this.model,
    });
    if (options.withMeta !== false) await this.kv.set(tokenStreamMetaKey(this.streamId), JSON.stringify(this.meta('running')));
    await this.kv.append(ownerStreamsKey(this.ownerId), { streamId: this.streamId }, { maxLen: 100 });
    return seq;
  }

  delta(text: string): Promise<number> {
    return this.append({ type: 'delta', delta: text });
  }

  /**
   * The `done` entry, then the meta updated; then (unless `applied: false`) conversation's marker
   * that the outcome is applied, which releases the `done` chunk.
   */
  async done(
    outcome: TokenStreamOutcome = 'COMPLETE',
    options: { finishReason?: string; usage?: TokenUsage; error?: string; applied?: boolean } = {},
  ): Promise<number> {
    const finishReason = options.finishReason ?? (outcome === 'ABORTED' ? 'aborted' : outcome === 'FAILED' ? 'error' : 'stop');
    const seq = await this.append({
      type: 'done',
      outcome,
      finishReason,
      ...(options.usage ? { usage: options.usage } : {}),
      ...(options.error !== undefined ? { error: options.error } : {}),
    });
    await this.kv.set(tokenStreamMetaKey(this.streamId), JSON.stringify(this.meta('done', { outcome, finishReason })));
    if (options.applied !== false) await this.markApplied(outcome === 'FAILED' ? 'generation.failed' : 'generation.completed');
    return seq;
  }

  /** Plays conversation: the outcome is applied to the message. */
  async markApplied(event: 'generation.completed' | 'generation.failed' = 'generation.completed'): Promise<void> {
    await this.kv.append(tokenStreamAppliedKey(this.streamId), encodeOutcomeApplied({ event }));
  }
}

/** A StreamChunk as the tests select it. */
export interface Chunk {
  streamId: string;
  seq: number;
  delta: string;
  done: boolean;
  finishReason: string | null;
  usage: TokenUsage | null;
  status: string | null;
  error: string | null;
  message: { id: string } | null;
}

export const CHUNK_FIELDS =
  'streamId seq delta done finishReason usage { promptTokens completionTokens totalTokens } status error message { id }';
const MESSAGE_STREAM = `subscription($streamId: ID!, $after: Int) { messageStream(streamId: $streamId, after: $after) { ${CHUNK_FIELDS} } }`;

/** One subscription's results as they arrive, with a way to wait for a condition on them. */
export class Collected {
  readonly chunks: Chunk[] = [];
  completed = false;
  errors: Array<{ message: string; extensions?: Record<string, unknown> }> | undefined;
  /** The close event of the socket, when the subscription failed because the socket closed. */
  closeCode: number | undefined;
  private waiters: Array<() => void> = [];
  unsubscribe: () => void = () => undefined;

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  /** Resolves once `check` holds (re-checked at every result); the test's timeout bounds the wait. */
  async until(check: (c: this) => boolean): Promise<this> {
    while (!check(this)) {
      if (this.completed || this.errors || this.closeCode !== undefined) {
        if (check(this)) break;
        throw new Error(
          `subscription ended before the condition held: ${JSON.stringify({ chunks: this.chunks.length, completed: this.completed, errors: this.errors, closeCode: this.closeCode })}`,
        );
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this;
  }

  /** Resolves once the subscription has completed or failed. */
  async ended(): Promise<this> {
    while (!this.completed && !this.errors && this.closeCode === undefined)
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this;
  }

  /** The first error's code. */
  get code(): unknown {
    return this.errors?.[0]?.extensions?.code;
  }
}

export interface Harness extends SubgraphHarness<Streaming> {
  streaming: Streaming;
  kv: TrackingKv;
  /** The embedded bus streaming consumes generation outcomes from and announces stream ends on. */
  bus: EventBus;
  /** A graphql-ws client connected as the router would for `principal` (closed by `dispose`). */
  client(principal: Principal): Client;
  /** Subscribes to `messageStream` over graphql-ws and collects what arrives. */
  subscribe(principal: Principal, streamId: string, after?: number | null): Collected;
  /** A generation of `ownerId` to play ai-gateway with. */
  generation(ownerId: string, options?: { startedAt?: Date }): TestGeneration;
}

/** Where a suite runs: how to start streaming (with `env` added to the target's configuration). */
export type Target = SharedTarget<Harness>;

/** The embedded kv store, in this process. */
export const embedded: Target = embeddedTarget((env) => startStreaming({ env }));

/** Configuration of streaming on a real Redis (`*.real.test.ts`): REAL_SERVERS.redisUrl, a fresh key prefix per call. */
export const realRedisEnv = (): Record<string, string> => realServersEnv({ kv: true });

/**
 * Starts streaming on port 0 over the kv store its configuration names, as `main.ts` does: the
 * embedded one by default, Redis with `realRedisEnv()`. A short STREAM_START_WAIT_MS unless set.
 */
export async function startStreaming(options: { env?: Record<string, string> } = {}): Promise<Harness> {
  const clients: Client[] = [];
  const h = await startSubgraph({
    name: 'streaming',
    secret: SECRET,
    setup(dataDir) {
      const config = loadStreamingConfig({
        INTERNAL_SIGNING_SECRET: SECRET,
        STREAM_START_WAIT_MS: '300',
        DATA_DIR: dataDir,
        ...options.env,
      });
      const logger = createLogger({ name: 'streaming', level: 'silent' });
      const kv = trackingKv(kvStoreFromConfig(config, logger));
      const bus = eventBusFromConfig(config, 'streaming', logger);
      return {
        kv,
        bus,
        adapters: [kv, bus],
        build: () => buildStreaming({ kv, bus, config, logger }),
        beforeStop: async () => void (await Promise.all(clients.map((c) => c.dispose()))),
      };
    },
  });
  const { kv, bus } = h.parts;
  const client = (principal: Principal): Client => {
    const c = createClient({
      url: h.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: () => signConnectionParams(SECRET, principal),
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(c);
    return c;
  };
  return {
    ...h,
    streaming: h.service,
    kv,
    bus,
    client,
    subscribe(principal, streamId, after) {
      const c = client(principal);
      const collected = new Collected();
      collected.unsubscribe = c.subscribe<{ messageStream: Chunk }>(
        { query: MESSAGE_STREAM, variables: { streamId, after } },
        {
          next: (result) => {
            if (result.errors) collected.errors = result.errors as Collected['errors'];
            if (result.data) collected.chunks.push(result.data.messageStream);
            collected.notify();
          },
          error: (error) => {
            if (Array.isArray(error)) collected.errors = error as Collected['errors'];
            else if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'number')
              collected.closeCode = error.code;
            else collected.errors = [{ message: String(error) }];
            collected.notify();
          },
          complete: () => {
            collected.completed = true;
            collected.notify();
          },
        },
      );
      return collected;
    },
    generation: (ownerId, options = {}) => new TestGeneration(kv, newStreamId(), ownerId, options.startedAt),
  };
}

/** Waits (bounded by iterations, not time assertions) until `check` passes; 500 reads by default. */
export const eventually = <T>(read: () => T | Promise<T>, check: (value: T) => boolean, tries = 500): Promise<T> =>
  poll(read, check, tries);

/** The deltas of chunks joined: the text the user sees. */
export const textOf = (chunks: readonly Chunk[]): string => chunks.map((c) => c.delta).join('');

/** A real Redis (`realRedisEnv()`), a fresh key prefix per harness. */
export const realRedis: Target = realTarget((env) => startStreaming({ env }), realRedisEnv);
