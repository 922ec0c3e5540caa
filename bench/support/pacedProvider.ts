/**
 * A local OpenAI-compatible model server for benchmarks (the one fake the project allows: a model
 * provider). `/v1/chat/completions` streams Server-Sent Events in the `chat.completion.chunk`
 * shape; the model name sets the pace, and every content chunk carries the high-resolution time
 * it was written (`<epoch ms>;`), so a client in the same process measures each chunk's latency
 * through the whole platform on the same clock.
 *
 *   paced-<intervalMs>x<chunks>   e.g. paced-50x60: 60 chunks, one every 50 ms (20 chunks/s)
 *   delay-<firstTokenMs>x<chunks> first chunk after firstTokenMs, then the rest back to back
 *   idle                          the role chunk, then nothing until the client goes away
 *
 * `firstTokenTimes` records, per request, the provider's own time to first token (request
 * received -> first content chunk written).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Epoch milliseconds with sub-millisecond resolution, comparable across this process. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface PacedProvider {
  readonly baseURL: string;
  /** The provider's own time to first token of each request, in ms, in arrival order. */
  readonly firstTokenTimes: number[];
  /** When each streamed request arrived (`nowMs()`), in arrival order. */
  readonly arrivals: number[];
  close(): Promise<void>;
}

interface Plan {
  firstDelayMs: number;
  intervalMs: number;
  chunks: number;
  idle: boolean;
}

function planFor(model: string): Plan {
  const paced = /^paced-(\d+)x(\d+)$/.exec(model);
  if (paced) return { firstDelayMs: Number(paced[1]), intervalMs: Number(paced[1]), chunks: Number(paced[2]), idle: false };
  const delayed = /^delay-(\d+)x(\d+)$/.exec(model);
  if (delayed) return { firstDelayMs: Number(delayed[1]), intervalMs: 0, chunks: Number(delayed[2]), idle: false };
  return { firstDelayMs: 0, intervalMs: 0, chunks: 0, idle: true };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function readJson(req: IncomingMessage): Promise<{ model?: string; stream?: boolean }> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return JSON.parse(Buffer.concat(parts).toString('utf8')) as { model?: string; stream?: boolean };
}

export async function startPacedProvider(): Promise<PacedProvider> {
  const firstTokenTimes: number[] = [];
  const arrivals: number[] = [];
  const open = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const received = nowMs();
    const body = await readJson(req);
    const model = body.model ?? 'idle';
    if (body.stream !== true) {
      // Titles: a short non-streamed answer, not part of any figure.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-title',
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'Benchmark chat' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
        }),
      );
      return;
    }
    const plan = planFor(model);
    arrivals.push(received);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    open.add(res);
    res.on('close', () => open.delete(res));
    const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
    const send = (delta: Record<string, unknown>, finish: string | null = null): void => {
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      );
    };
    send({ role: 'assistant', content: '' });
    if (plan.idle) return; // held open until the client aborts or the server closes
    await sleep(plan.firstDelayMs);
    for (let i = 0; i < plan.chunks; i++) {
      if (res.destroyed) return;
      if (i > 0 && plan.intervalMs > 0) await sleep(plan.intervalMs);
      const stamp = nowMs();
      if (i === 0) firstTokenTimes.push(stamp - received);
      send({ content: `${stamp.toFixed(3)};` });
    }
    send({}, 'stop');
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [], usage: { prompt_tokens: 10, completion_tokens: plan.chunks, total_tokens: 10 + plan.chunks } })}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  };

  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/v1/chat/completions') {
      handle(req, res).catch(() => res.destroy());
      return;
    }
    res.writeHead(404).end();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    firstTokenTimes,
    arrivals,
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The stamps in a delta (several when ai-gateway coalesced chunks). */
export function stampsOf(delta: string): number[] {
  return delta
    .split(';')
    .filter((s) => s.length > 0)
    .map(Number);
}
