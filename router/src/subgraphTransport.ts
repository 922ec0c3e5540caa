import http from 'node:http';
import https from 'node:https';

/** A subgraph's answer: its status and body, buffered (subgraph answers are single JSON documents). */
export interface SubgraphReply {
  status: number;
  body: string;
}

/** Where one subgraph URL points, resolved once: there are a handful, each used on every request. */
interface Target {
  module: typeof http | typeof https;
  agent: http.Agent;
  hostname: string;
  port: number;
  path: string;
}

/**
 * HTTP/1.1 keep-alive connections from the router to its subgraphs on node:http. No fetch
 * `Request`/`Response`, no `Headers` objects, no URL parsing per call: on the router's hot path
 * each of those costs more than the call itself (measured with bench/router-overhead.ts).
 */
export class SubgraphTransport {
  // Idle sockets are closed well before the kit's server-side keep-alive timeout (65 s), so the
  // router never writes to a connection the subgraph is closing.
  private readonly httpAgent = new http.Agent({ keepAlive: true, timeout: 30_000 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, timeout: 30_000 });
  private readonly targets = new Map<string, Target>();

  /** @param timeoutMs a subgraph silent for this long fails the request. */
  constructor(private readonly timeoutMs: number) {}

  /** POSTs `body`; rejects when the subgraph cannot be reached or stays silent for `timeoutMs`. */
  async post(url: string, headers: Record<string, string>, body: string): Promise<SubgraphReply> {
    const target = this.target(url);
    try {
      return await this.send(target, headers, body);
    } catch (err) {
      // A kept-alive connection the subgraph closed as the request was written fails with
      // ECONNRESET before the subgraph read anything: sending once more on a fresh one is safe.
      if (err instanceof ReusedSocketError) return this.send(target, headers, body);
      throw err;
    }
  }

  /** Closes every connection; later requests open new ones. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private target(url: string): Target {
    let target = this.targets.get(url);
    if (target) return target;
    const parsed = new URL(url);
    const secure = parsed.protocol === 'https:';
    target = {
      module: secure ? https : http,
      agent: secure ? this.httpsAgent : this.httpAgent,
      hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: parsed.port ? Number(parsed.port) : secure ? 443 : 80,
      path: `${parsed.pathname}${parsed.search}`,
    };
    // Subgraph URLs come from the supergraph: a handful. The bound only guards against surprises.
    if (this.targets.size < 1000) this.targets.set(url, target);
    return target;
  }

  private send(target: Target, headers: Record<string, string>, body: string): Promise<SubgraphReply> {
    headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const req = target.module.request({ method: 'POST', hostname: target.hostname, port: target.port, path: target.path, agent: target.agent, headers }, (res) => {
        // Buffers, decoded once at the end: a reply is usually one chunk, and setEncoding would
        // allocate a StringDecoder per reply.
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = chunks.length === 1 && chunks[0] ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 502, body });
        });
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`subgraph did not answer within ${this.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(req.reusedSocket && err.code === 'ECONNRESET' ? new ReusedSocketError(err) : err));
      req.end(body);
    });
  }
}

class ReusedSocketError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}
