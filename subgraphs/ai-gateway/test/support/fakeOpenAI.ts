/**
 * A fake OpenAI-compatible server (node:http, Server-Sent Events) for tests that drive the real
 * `openai` SDK: `/v1/chat/completions` (streaming in the real `chat.completion.chunk` shape, and
 * non-streaming), and `/v1/embeddings`. Other suites (end-to-end through the router) import it:
 *
 *   const fake = await startFakeOpenAI();
 *   fake.script('gpt-test', [{ status: 429 }, { text: 'Hello there' }]);   // per model, in order
 *   // catalog: { kind: openai, baseURL: fake.baseURL } ... route model: gpt-test
 *   fake.requests;   // every request seen: { path, model, stream, body }
 *   await fake.close();
 *
 * Behaviour is chosen by the requested model name: a model given a script plays its scenarios in
 * order (the last one repeats); an unscripted model plays the preset of that name
 * (`FAKE_PRESETS`) or, failing that, a normal stream with usage. Nothing here measures time.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeScenario {
  /** Answer with this HTTP status and an OpenAI-style error body instead of a completion. */
  status?: number;
  /** The answer; streamed a word per chunk unless `chunks` is given. */
  text?: string;
  /** The exact content chunks to stream. */
  chunks?: string[];
  /** Wait before the first content chunk (the role chunk and headers go out at once). */
  firstChunkDelayMs?: number;
  /** Pause between content chunks (default: the server's `chunkIntervalMs`). */
  chunkIntervalMs?: number;
  /** Destroy the socket after this many content chunks (a mid-stream failure). */
  failAfterChunks?: number;
  /** Never send usage, even when `stream_options.include_usage` asks for it. */
  omitUsage?: boolean;
  /** Usage to report (default: counted from words). */
  usage?: { prompt_tokens: number; completion_tokens: number };
  finishReason?: string;
  /**
   * Answer with these tool calls (streamed as the SDK sees real ones: id and name first, then the
   * arguments in two pieces; `finish_reason: 'tool_calls'`) after any `text`/`chunks`.
   */
  toolCalls?: Array<{ name: string; arguments: string; id?: string }>;
}

export interface FakeRequest {
  path: string;
  model: string;
  stream: boolean;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  /** `performance.now()` when the request arrived (benchmarks: gaps between rounds). */
  receivedAt: number;
  /** `performance.now()` when the response was completely written (undefined while it runs). */
  respondedAt?: number;
}

export interface FakeOpenAI {
  /** Pass as the provider's `baseURL` (ends in `/v1`). */
  readonly baseURL: string;
  /** Every request received, in order. */
  readonly requests: FakeRequest[];
  /** Scripts the scenarios of `model`'s next requests (the last one repeats). */
  script(model: string, scenarios: FakeScenario | FakeScenario[]): void;
  /** Requests seen for `model` (any path). */
  requestsFor(model: string): FakeRequest[];
  close(): Promise<void>;
}

export const DEFAULT_FAKE_TEXT = 'Hello from the fake model.';

/** Ready-made behaviours, by model name, for suites that only write a catalog. */
export const FAKE_PRESETS: Record<string, FakeScenario> = {
  'fake-normal': { text: DEFAULT_FAKE_TEXT },
  'fake-no-usage': { text: DEFAULT_FAKE_TEXT, omitUsage: true },
  'fake-slow-first-token': { text: DEFAULT_FAKE_TEXT, firstChunkDelayMs: 2_000 },
  'fake-mid-stream-failure': { text: 'one two three four five six', failAfterChunks: 3 },
  'fake-429': { status: 429 },
  'fake-500': { status: 500 },
  'fake-401': { status: 401 },
};

export interface FakeOpenAIOptions {
  /** Default pause between content chunks (default 0). */
  chunkIntervalMs?: number;
  /** Dimensions of `/v1/embeddings` vectors (default 8). */
  embeddingDimensions?: number;
  /**
   * The vector of one text for `/v1/embeddings` (default: a deterministic one of its characters),
   * e.g. concept vectors under which synonyms coincide, for suites that test semantic search.
   */
  embedding?: (text: string, dimensions: number, model: string) => number[];
}

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

function errorBody(status: number): Record<string, unknown> {
  const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message: `fake error ${status}`, type, param: null, code: type } };
}

/** A deterministic vector per text, for `/v1/embeddings`. */
function fakeVector(text: string, dimensions: number): number[] {
  const v = Array.from({ length: dimensions }, (_, i) => ((text.charCodeAt(i % Math.max(1, text.length)) || 1) * (i + 1)) % 97);
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req as AsyncIterable<Buffer>) parts.push(part);
  const text = Buffer.concat(parts).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const requests: FakeRequest[] = [];
  const scripts = new Map<string, FakeScenario[]>();
  const dims = options.embeddingDimensions ?? 8;
  // Pending pauses, cleared by close() so a closed fake leaves no timer behind.
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number): Promise<void> =>
    ms > 0
      ? new Promise((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, ms);
          timers.add(timer);
        })
      : Promise.resolve();

  const scenarioFor = (model: string): FakeScenario => {
    const queue = scripts.get(model);
    if (queue && queue.length > 0) return queue.length > 1 ? (queue.shift() as FakeScenario) : (queue[0] as FakeScenario);
    return FAKE_PRESETS[model] ?? { text: DEFAULT_FAKE_TEXT };
  };

  const streamChat = async (res: ServerResponse, model: string, body: Record<string, unknown>, s: FakeScenario): Promise<void> => {
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true && !s.omitUsage;
    const id = `chatcmpl-fake-${requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const send = (choices: unknown[], usage?: unknown): void => {
      const chunk: Record<string, unknown> = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices };
      if (includeUsage) chunk.usage = usage ?? null;
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    send([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    const chunks = s.chunks ?? (s.toolCalls && s.text === undefined ? [] : words(s.text ?? DEFAULT_FAKE_TEXT));
    await wait(s.firstChunkDelayMs ?? 0);
    for (let i = 0; i < chunks.length; i++) {
      if (res.destroyed) return;
      if (s.failAfterChunks !== undefined && i >= s.failAfterChunks) {
        // Let the chunks already written reach the client, then cut the connection mid-stream.
        await new Promise<void>((resolve) => res.write(': flush\n\n', () => resolve()));
        await wait(20);
        res.socket?.destroy();
        return;
      }
      if (i > 0) await wait(s.chunkIntervalMs ?? options.chunkIntervalMs ?? 0);
      send([{ index: 0, delta: { content: chunks[i] }, logprobs: null, finish_reason: null }]);
    }
    for (const [index, call] of (s.toolCalls ?? []).entries()) {
      const id = call.id ?? `call_fake_${requests.length}_${index}`;
      const half = Math.ceil(call.arguments.length / 2);
      const piece = (fn: Record<string, string>, first: boolean): void =>
        send([
          {
            index: 0,
            delta: { tool_calls: [{ index, ...(first ? { id, type: 'function' } : {}), function: fn }] },
            logprobs: null,
            finish_reason: null,
          },
        ]);
      piece({ name: call.name, arguments: '' }, true);
      piece({ arguments: call.arguments.slice(0, half) }, false);
      piece({ arguments: call.arguments.slice(half) }, false);
    }
    const finish = s.finishReason ?? (s.toolCalls ? 'tool_calls' : 'stop');
    send([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]);
    if (includeUsage) {
      const completion = s.usage?.completion_tokens ?? chunks.length;
      const prompt = s.usage?.prompt_tokens ?? 11;
      send([], { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion });
    }
    res.write('data: [DONE]\n\n');
    res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const body = req.method === 'POST' ? await readJson(req) : {};
    // `body` is read before the request is recorded, so `receivedAt` is when the whole request was in.
    const model = typeof body.model === 'string' ? body.model : '';
    const stream = body.stream === true;
    const seen: FakeRequest = { path, model, stream, body, headers: req.headers, receivedAt: performance.now() };
    requests.push(seen);
    res.on('finish', () => (seen.respondedAt = performance.now()));
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (path === '/v1/embeddings') {
      const input = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
      const s = scenarioFor(model);
      if (s.status) return json(s.status, errorBody(s.status));
      return json(200, {
        object: 'list',
        model,
        data: input.map((text, index) => ({ object: 'embedding', index, embedding: (options.embedding ?? fakeVector)(text, dims, model) })),
        usage: { prompt_tokens: input.length, total_tokens: input.length },
      });
    }
    if (path !== '/v1/chat/completions') return json(404, errorBody(404));
    const s = scenarioFor(model);
    if (s.status) return json(s.status, errorBody(s.status));
    if (stream) return streamChat(res, model, body, s);
    await wait(s.firstChunkDelayMs ?? 0);
    const text = s.chunks?.join('') ?? s.text ?? DEFAULT_FAKE_TEXT;
    const completion = words(text).length;
    return json(200, {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        { index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: s.finishReason ?? 'stop' },
      ],
      ...(s.omitUsage ? {} : { usage: { prompt_tokens: 11, completion_tokens: completion, total_tokens: 11 + completion } }),
    });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    script(model, scenarios) {
      scripts.set(model, Array.isArray(scenarios) ? [...scenarios] : [scenarios]);
    },
    requestsFor: (model) => requests.filter((r) => r.model === model),
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
