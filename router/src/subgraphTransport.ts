import http from 'node:http';
import https from 'node:https';

/**
 * HTTP/1.1 keep-alive connections from the router to its subgraphs, on node:http rather than the
 * global fetch: on the router's hot path fetch costs about twice the CPU per call (measured with
 * bench/router-overhead.ts). Responses are buffered (subgraph answers are single JSON documents)
 * and handed back as a standard `Response`, which is what the gateway's data source reads.
 */
export class SubgraphTransport {
  // Idle sockets are closed well before the kit's server-side keep-alive timeout (65 s), so the
  // router never writes to a connection the subgraph is closing.
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: 30_000 }),
    'https:': new https.Agent({ keepAlive: true, timeout: 30_000 }),
  };

  /** Parsed subgraph URLs: there are a handful, each used on every request. */
  private readonly targets = new Map<string, URL>();

  /** @param timeoutMs a subgraph silent for this long fails the request. */
  constructor(private readonly timeoutMs: number) {}

  async post(url: string, headers: Record<string, string>, body: string | Buffer): Promise<Response> {
    try {
      return await this.send(url, headers, body);
    } catch (err) {
      // A kept-alive connection the subgraph closed as the request was written fails with
      // ECONNRESET before the subgraph read anything: sending once more on a fresh one is safe.
      if (err instanceof ReusedSocketError) return this.send(url, headers, body);
      throw err;
    }
  }

  /** Closes every connection; later requests open new ones. */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  private send(url: string, headers: Record<string, string>, body: string | Buffer): Promise<Response> {
    let target = this.targets.get(url);
    if (!target) {
      target = new URL(url);
      if (this.targets.size < 1000) this.targets.set(url, target);
    }
    const transport = target.protocol === 'https:' ? https : http;
    const agent = target.protocol === 'https:' ? this.agents['https:'] : this.agents['http:'];
    return new Promise((resolve, reject) => {
      const req = transport.request(target, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 502;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, v);
          }
          const payload = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(payload, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
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
