/**
 * A stand-in for ai-gateway's signed `POST /internal/embeddings` route (search's tests cannot
 * import ai-gateway): it verifies the kit's request signature as ai-gateway does, answers
 * `{ model, dimensions, vectors }` with concept vectors (conceptEmbedding.ts) of the current
 * model, and can be told to fail (a status, a hang) or switch model. The real route, in front of a
 * fake OpenAI server, is tested through the router (e2e/test/search-embeddings-through-router).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NonceRegistry, verifyRequest, type Principal } from '@chatgraph/kit';
import { conceptVector } from './conceptEmbedding';

export interface FakeGatewayRequest {
  principal: Principal | null;
  input: string[];
  model?: string;
  status: number;
}

export interface FakeGateway {
  /** Pass as AI_GATEWAY_URL. */
  readonly url: string;
  readonly requests: FakeGatewayRequest[];
  /** The model answered (its vectors: concept vectors salted by its name). */
  model: string;
  /** Dimensions answered (the index must be built for them). */
  dims: number;
  /** The next answers, in order: a status to fail with, `hang` to never answer; then normal answers. */
  failNext(...answers: Array<number | 'hang'>): void;
  /** Every next answer fails with this status (or hangs) until `recover()`. */
  goDown(answer?: number | 'hang'): void;
  recover(): void;
  close(): Promise<void>;
}

export async function startFakeGateway(options: { secret: string; model?: string; dims?: number }): Promise<FakeGateway> {
  const requests: FakeGatewayRequest[] = [];
  const script: Array<number | 'hang'> = [];
  let down: number | 'hang' | undefined;
  const nonces = new NonceRegistry(5000);
  const hanging = new Set<ServerResponse>();

  const state = { model: options.model ?? 'fake-concepts-a', dims: options.dims ?? 32 };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parts: Buffer[] = [];
    for await (const part of req as AsyncIterable<Buffer>) parts.push(part);
    const body = Buffer.concat(parts);
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    let principal: Principal | null = null;
    try {
      principal = verifyRequest(options.secret, req.headers, body, { maxSkewMs: 5000, nonces });
    } catch {
      requests.push({ principal, input: [], status: 401 });
      return json(401, { errors: [{ message: 'unsigned', extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    const parsed = JSON.parse(body.toString('utf8')) as { model?: string; input: string[] };
    const answer = script.shift() ?? down;
    const status = answer === undefined ? 200 : answer === 'hang' ? 0 : answer;
    requests.push({ principal, input: parsed.input, ...(parsed.model ? { model: parsed.model } : {}), status });
    if (answer === 'hang') {
      hanging.add(res);
      return;
    }
    if (answer !== undefined) return json(answer, { errors: [{ message: `fake ${answer}`, extensions: { code: 'UNAVAILABLE' } }] });
    const model = parsed.model ?? state.model;
    const vectors = parsed.input.map((text) => conceptVector(text, state.dims, model) ?? new Array<number>(state.dims).fill(0));
    json(200, { model, dimensions: state.dims, vectors });
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
    url: `http://127.0.0.1:${port}`,
    requests,
    get model() {
      return state.model;
    },
    set model(value: string) {
      state.model = value;
    },
    get dims() {
      return state.dims;
    },
    set dims(value: number) {
      state.dims = value;
    },
    failNext: (...answers) => script.push(...answers),
    goDown: (answer = 503) => (down = answer),
    recover: () => (down = undefined),
    close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
