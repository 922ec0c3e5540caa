/**
 * Live chat end to end, as a client does it: `sendMessage` over HTTP, then
 * `messageStream(streamId, after)` over graphql-ws through the router (the real `graphql-ws`
 * client), `stopGeneration`, `activeStreams`. The same scenarios run on the one-process stack and
 * on the distributed one (Kafka, Redis, FerretDB, services in their own processes, two routers
 * and two streaming instances).
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface LiveChatTarget {
  /** `/graphql` URL of every router (HTTP); at least one. */
  routerUrls(): string[];
  /** Generous waits for the real servers. */
  timeoutMs: number;
}

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

export interface Chunk {
  streamId: string;
  seq: number;
  delta: string;
  done: boolean;
  finishReason: string | null;
  status: string | null;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number } | null;
  message: { id: string; status: string; conversation: { id: string; title: string } } | null;
}

export const STREAM = /* GraphQL */ `
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
        conversation {
          id
          title
        }
      }
    }
  }
`;

const SEND = /* GraphQL */ `
  mutation Send($input: SendMessageInput!) {
    sendMessage(input: $input) {
      conversation {
        id
      }
      assistantMessage {
        id
        status
      }
      streamId
    }
  }
`;

export interface Sent {
  conversation: { id: string };
  assistantMessage: { id: string; status: string };
  streamId: string;
}

export async function gql<T>(
  url: string,
  token: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<Response<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Response<T>;
}

export async function register(url: string, email: string, name: string): Promise<string> {
  const res = await gql<{ register: { accessToken: string } }>(
    url,
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    {
      input: { email, name, password: 'a perfectly fine passphrase' },
    },
  );
  const token = res.data?.register.accessToken;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return token;
}

export async function send(url: string, token: string, input: Record<string, unknown>): Promise<Sent> {
  const res = await gql<{ sendMessage: Sent }>(url, token, SEND, { input });
  if (!res.data) throw new Error(`sendMessage failed: ${JSON.stringify(res.errors)}`);
  return res.data.sendMessage;
}

/** A graphql-ws client of the router at `url` (http), authenticated with `token` when given. */
export function wsClient(url: string, token: string | undefined, onClosed?: (code: number) => void): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    on: onClosed ? { closed: (event) => onClosed((event as { code: number }).code) } : undefined,
  });
}

export interface Watch {
  chunks: Chunk[];
  /** Resolves when the subscription ends: completed, or with the error it ended with. */
  ended: Promise<{ error?: unknown }>;
  /** Resolves once `count` chunks arrived (or the subscription ended first). */
  atLeast(count: number): Promise<void>;
  stop(): void;
}

/** Subscribes to a stream and records its chunks. */
export function watch(client: Client, streamId: string, after?: number): Watch {
  const chunks: Chunk[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let finished = false;
  const wake = (): void => {
    for (const w of [...waiters]) {
      if (finished || chunks.length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  let unsubscribe: () => void = () => undefined;
  const ended = new Promise<{ error?: unknown }>((resolve) => {
    unsubscribe = client.subscribe<{ messageStream: Chunk }>(
      { query: STREAM, variables: after === undefined ? { streamId } : { streamId, after } },
      {
        next: (result) => {
          if (result.data?.messageStream) chunks.push(result.data.messageStream);
          else if (result.errors) {
            finished = true;
            resolve({ error: result.errors });
          }
          wake();
        },
        error: (error) => {
          finished = true;
          wake();
          resolve({ error });
        },
        complete: () => {
          finished = true;
          wake();
          resolve({});
        },
      },
    );
  });
  return {
    chunks,
    ended,
    atLeast: (count) =>
      finished || chunks.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    stop: () => {
      unsubscribe();
      finished = true;
      wake();
    },
  };
}

/** The `extensions.code` of the first error of a subscription's end or a response. */
export function codeOf(error: unknown): string | undefined {
  const list = Array.isArray(error) ? error : (error as { errors?: unknown[] } | undefined)?.errors;
  const first = list?.[0] as { extensions?: { code?: string } } | undefined;
  return first?.extensions?.code;
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await probe();
  }
  return value;
}

interface StoredAnswer {
  status: string;
  content: string;
  tokenCount: number | null;
  finishReason: string | null;
}

/** The assistant message as conversation stores it, once it is final (or the timeout passed). */
export async function finalAnswer(url: string, token: string, messageId: string, timeoutMs: number): Promise<StoredAnswer | undefined> {
  const read = async () => {
    const res = await gql<{ conversation: { currentBranch: Array<StoredAnswer & { id: string }> } | null }>(
      url,
      token,
      'query($id: ID!) { conversation(id: $id) { currentBranch { id status content tokenCount finishReason } } }',
      { id: conversationOf.get(messageId) },
    );
    return res.data?.conversation?.currentBranch.find((m) => m.id === messageId);
  };
  return eventually(read, (m) => m !== undefined && !['PENDING', 'STREAMING'].includes(m.status), timeoutMs);
}

/** Which conversation each sent assistant message belongs to (filled by `sendTracked`). */
const conversationOf = new Map<string, string>();

export async function sendTracked(url: string, token: string, input: Record<string, unknown>): Promise<Sent> {
  const sent = await send(url, token, input);
  conversationOf.set(sent.assistantMessage.id, sent.conversation.id);
  return sent;
}

/** Seqs are 1, 2, ... n without gaps; the first is the `start` chunk and only the last is done. */
export function expectWellFormed(chunks: Chunk[], from = 1): void {
  expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => from + i));
  expect(chunks.slice(0, -1).every((c) => !c.done)).toBe(true);
  expect(chunks.at(-1)?.done).toBe(true);
}

export const textOf = (chunks: Chunk[]): string => chunks.map((c) => c.delta).join('');

/** A chunk's own fields: what the stream carries, without what was hydrated from conversation at the time. */
export const streamed = (chunks: Chunk[]) => chunks.map(({ message, ...own }) => ({ ...own, messageId: message?.id ?? null }));

export function describeLiveChat(name: string, target: () => LiveChatTarget): void {
  describe(`live chat through the router (${name})`, () => {
    let url: string;
    let ada: string;
    let bob: string;
    let timeoutMs: number;
    const clients: Client[] = [];
    const clientOf = (routerUrl: string, token: string | undefined, onClosed?: (code: number) => void): Client => {
      const client = wsClient(routerUrl, token, onClosed);
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      const t = target();
      [url] = t.routerUrls() as [string];
      timeoutMs = t.timeoutMs;
      const run = Date.now();
      ada = await register(url, `ada-${run}@example.com`, 'Ada Lovelace');
      bob = await register(url, `bob-${run}@example.com`, 'Bob Bobson');
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.dispose()));
    });

    it('streams every chunk in order, hydrated from conversation on the first and last chunk, and completes the message with usage', async () => {
      const sent = await sendTracked(url, ada, { content: 'Tell me about the analytical engine' });
      const stream = watch(clientOf(url, ada), sent.streamId);
      const { error } = await stream.ended;
      expect(error).toBeUndefined();
      const { chunks } = stream;
      expectWellFormed(chunks);
      const [start, ...rest] = chunks;
      const done = rest.at(-1);
      expect(start).toMatchObject({
        seq: 1,
        delta: '',
        done: false,
        message: { id: sent.assistantMessage.id, conversation: { id: sent.conversation.id } },
      });
      expect(start?.message?.conversation.title.length).toBeGreaterThan(0);
      // Token chunks are not hydrated: `message` is null between the first and the last chunk.
      expect(rest.slice(0, -1).every((c) => c.message === null && c.delta.length > 0)).toBe(true);
      expect(done).toMatchObject({ done: true, status: 'COMPLETE', finishReason: 'STOP', message: { id: sent.assistantMessage.id } });
      expect(done?.usage?.completionTokens).toBeGreaterThan(0);
      expect(done?.usage?.totalTokens).toBe((done?.usage?.promptTokens ?? 0) + (done?.usage?.completionTokens ?? 0));

      const stored = await finalAnswer(url, ada, sent.assistantMessage.id, timeoutMs);
      expect(stored).toMatchObject({
        status: 'COMPLETE',
        content: textOf(chunks),
        tokenCount: done?.usage?.completionTokens,
        finishReason: 'STOP',
      });
    });

    it('resumes after a reconnect with exactly the chunks it missed', async () => {
      const sent = await sendTracked(url, ada, { content: 'A long answer, please, about Babbage and his engines' });
      const first = watch(clientOf(url, ada), sent.streamId);
      await first.atLeast(3);
      first.stop();
      const seen = first.chunks.slice();
      const lastSeq = seen.at(-1)?.seq ?? 0;
      expect(lastSeq).toBeGreaterThanOrEqual(3);

      const resumed = watch(clientOf(url, ada), sent.streamId, lastSeq);
      expect((await resumed.ended).error).toBeUndefined();
      expectWellFormed(resumed.chunks, lastSeq + 1);
      const whole = watch(clientOf(url, ada), sent.streamId);
      await whole.ended;
      expect(streamed([...seen, ...resumed.chunks])).toEqual(streamed(whole.chunks));
      const stored = await finalAnswer(url, ada, sent.assistantMessage.id, timeoutMs);
      expect(stored?.content).toBe(textOf(whole.chunks));
    });

    it('lists the running generation in activeStreams; stopGeneration aborts it and the message ends ABORTED with the partial text', async () => {
      const sent = await sendTracked(url, ada, { content: 'Please write a very long essay that I will interrupt' });
      const stream = watch(clientOf(url, ada), sent.streamId);
      await stream.atLeast(2);
      const active = await gql<{ activeStreams: Array<{ streamId: string; message: { id: string } }> }>(
        url,
        ada,
        '{ activeStreams { streamId message { id } } }',
      );
      expect(active.data?.activeStreams.map((s) => s.streamId)).toContain(sent.streamId);
      const bobs = await gql<{ activeStreams: Array<{ streamId: string }> }>(url, bob, '{ activeStreams { streamId } }');
      expect(bobs.data?.activeStreams.map((s) => s.streamId)).not.toContain(sent.streamId);

      const stopped = await gql<{ stopGeneration: boolean }>(url, ada, 'mutation($id: ID!) { stopGeneration(streamId: $id) }', {
        id: sent.streamId,
      });
      expect(stopped.data?.stopGeneration).toBe(true);
      expect((await stream.ended).error).toBeUndefined();
      expectWellFormed(stream.chunks);
      expect(stream.chunks.at(-1)).toMatchObject({ done: true, status: 'ABORTED', finishReason: 'ABORTED' });
      const stored = await finalAnswer(url, ada, sent.assistantMessage.id, timeoutMs);
      expect(stored).toMatchObject({ status: 'ABORTED', content: textOf(stream.chunks) });
      const after = await gql<{ activeStreams: Array<{ streamId: string }> }>(url, ada, '{ activeStreams { streamId } }');
      expect(after.data?.activeStreams.map((s) => s.streamId)).not.toContain(sent.streamId);
    });

    it("refuses another user's subscribe and stop, an anonymous subscribe, and an invalid token at connection_init", async () => {
      const sent = await sendTracked(url, ada, { content: 'This stream is mine' });
      const theirs = watch(clientOf(url, bob), sent.streamId);
      expect(codeOf((await theirs.ended).error)).toBe('FORBIDDEN');
      expect(theirs.chunks).toEqual([]);
      const stop = await gql<{ stopGeneration: boolean }>(url, bob, 'mutation($id: ID!) { stopGeneration(streamId: $id) }', {
        id: sent.streamId,
      });
      expect(stop.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const anonymous = watch(clientOf(url, undefined), sent.streamId);
      expect(codeOf((await anonymous.ended).error)).toBe('UNAUTHENTICATED');

      let closedWith: number | undefined;
      const forged = watch(
        clientOf(url, `${ada.slice(0, -4)}AAAA`, (code) => (closedWith = code)),
        sent.streamId,
      );
      await forged.ended;
      expect(closedWith).toBe(4401);
      expect(forged.chunks).toEqual([]);

      // Ada's own stream was not disturbed by any of it.
      const mine = watch(clientOf(url, ada), sent.streamId);
      expect((await mine.ended).error).toBeUndefined();
      expect(mine.chunks.at(-1)?.status).toBe('COMPLETE');
    });

    it('refuses bad arguments before any chunk', async () => {
      const client = clientOf(url, ada);
      const negative = watch(client, 'some-stream', -1);
      expect(codeOf((await negative.ended).error)).toBe('BAD_USER_INPUT');
      const malformed = watch(client, 'not a valid id!');
      expect(codeOf((await malformed.ended).error)).toBe('BAD_USER_INPUT');
    });

    it('serves one stream to clients of every router at once, and a stop sent through any router', async () => {
      const routers = target().routerUrls();
      const sent = await sendTracked(url, ada, { content: 'Everyone watches this one' });
      const watches = routers.map((r) => watch(clientOf(r, ada), sent.streamId));
      await Promise.all(watches.map((w) => w.atLeast(2)));
      const last = routers.at(-1) as string;
      const stopped = await gql<{ stopGeneration: boolean }>(last, ada, 'mutation($id: ID!) { stopGeneration(streamId: $id) }', {
        id: sent.streamId,
      });
      expect(stopped.data?.stopGeneration).toBe(true);
      for (const w of watches) expect((await w.ended).error).toBeUndefined();
      const [reference, ...others] = watches.map((w) => w.chunks);
      expectWellFormed(reference ?? []);
      expect(reference?.at(-1)?.status).toBe('ABORTED');
      for (const other of others) expect(streamed(other)).toEqual(streamed(reference ?? []));
    });
  });
}
