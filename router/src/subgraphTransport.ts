import { Pool, type Dispatcher } from 'undici';

/** A subgraph's answer: its status and body, buffered (subgraph answers are single JSON documents). */
export interface SubgraphReply {
  status: number;
  body: string;
}

/**
 * A subgraph served by the router's own process (embedded mode): called directly with the signed
 * headers and body, skipping two loopback HTTP legs. It checks the signature like `/graphql` does.
 */
export type InProcessSubgraph = (headers: Readonly<Record<string, string>>, body: string) => Promise<SubgraphReply>;

/** Where one subgraph URL points, resolved once: there are a handful, each used on every request. */
interface Target {
  pool: Pool;
  path: string;
}

/** undici's code for a connection that failed under a request (closed, reset). */
const SOCKET_ERROR = 'UND_ERR_SOCKET';

/**
 * One POST on undici's dispatcher API: the reply is gathered from the handler callbacks, with no
 * stream, `Request`/`Response` or `Headers` object per call. On the router's hot path this costs
 * about half the CPU of a node:http request (measured with bench/router-overhead.ts).
 */
class ReplyHandler implements Dispatcher.DispatchHandler {
  private status = 502;
  private readonly chunks: Buffer[] = [];
  /** True once the subgraph began answering: a failure after that is not safe to resend. */
  answered = false;

  constructor(
    private readonly resolve: (reply: SubgraphReply) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  onRequestStart(): void {
    // Nothing to prepare: undici requires the method of its handler interface.
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.answered = true;
    this.status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    // Decoded once at the end: a reply is usually one chunk.
    const [only] = this.chunks;
    const body = this.chunks.length === 1 && only ? only.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
    this.resolve({ status: this.status, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.reject(err);
  }
}

/**
 * HTTP/1.1 keep-alive connections from the router to its subgraphs, one undici pool per subgraph
 * origin. No URL parsing per call: the handful of subgraph URLs are resolved once.
 */
export class SubgraphTransport {
  private readonly pools = new Map<string, Pool>();
  private readonly targets = new Map<string, Target>();

  /**
   * @param timeoutMs a subgraph silent for this long (before or during its answer) fails the request.
   * @param inProcess subgraphs in this process, by their `/graphql` URL, called without HTTP.
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly inProcess: ReadonlyMap<string, InProcessSubgraph> = new Map(),
  ) {}

  /**
   * POSTs `body`; rejects when the subgraph cannot be reached or stays silent for `timeoutMs`.
   * With `resendable` (the operation reads, it writes nothing), a connection lost before the
   * subgraph answered — a kept-alive connection closed under the request by a restart — is tried
   * once more on a fresh one. A mutation is never sent twice.
   */
  async post(url: string, headers: Record<string, string>, body: string, resendable: boolean): Promise<SubgraphReply> {
    const local = this.inProcess.get(url);
    if (local) return local(headers, body);
    const target = this.target(url);
    try {
      return await this.send(target, headers, body);
    } catch (err) {
      if (resendable && err instanceof UnansweredSocketError) return this.send(target, headers, body);
      throw err;
    }
  }

  /** Closes every connection, failing requests still waiting; later requests open new ones. */
  close(): void {
    for (const pool of this.pools.values()) void pool.destroy().catch(() => undefined);
    this.pools.clear();
    this.targets.clear();
  }

  private target(url: string): Target {
    let target = this.targets.get(url);
    if (target) return target;
    const parsed = new URL(url);
    let pool = this.pools.get(parsed.origin);
    if (!pool) {
      pool = new Pool(parsed.origin, {
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        // Idle connections are closed well before the kit's server-side keep-alive timeout
        // (65 s), so the router never writes to a connection the subgraph is closing.
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 30_000,
      });
      this.pools.set(parsed.origin, pool);
    }
    target = { pool, path: `${parsed.pathname}${parsed.search}` };
    // Subgraph URLs come from the supergraph: a handful. The bound only guards against surprises.
    if (this.targets.size < 1000) this.targets.set(url, target);
    return target;
  }

  private send(target: Target, headers: Record<string, string>, body: string): Promise<SubgraphReply> {
    return new Promise((resolve, reject) => {
      const handler: ReplyHandler = new ReplyHandler(resolve, (err) => {
        const unanswered = !handler.answered && (err as { code?: unknown }).code === SOCKET_ERROR;
        reject(unanswered ? new UnansweredSocketError(err) : err);
      });
      target.pool.dispatch({ method: 'POST', path: target.path, headers, body }, handler);
    });
  }
}

class UnansweredSocketError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}
