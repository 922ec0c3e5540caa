import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { REQUEST_ID_HEADER, signStreamedRequest, type Logger } from '@chatgraph/kit';
import { ROUTER_PRINCIPAL } from '../context';
import { BufferReclaimer } from './bufferReclaim';

export interface FileRoutesOptions {
  signingSecret: string;
  logger: Logger;
  /** The file subgraph's base URL (its `/graphql` URL without the path), or undefined when the supergraph has none. */
  fileBase(): string | undefined;
  /** Bytes relayed (both ways, all requests) between two young-generation collections (bufferReclaim.ts). Default 8 MiB. */
  reclaimEveryBytes?: number;
}

const DEFAULT_RECLAIM_EVERY_BYTES = 8 * 1024 * 1024;

/** The byte routes the router forwards to file: uploads on a ticket, downloads on a link. */
const UPLOAD = /^\/files\/uploads\/[A-Za-z0-9._-]{1,1000}$/;
const CONTENT = /^\/files\/[A-Za-z0-9_-]{1,64}\/content$/;

/** Request headers file needs from the client (everything else, cookies and credentials included, stays here). */
const FORWARDED_REQUEST = ['content-type', 'content-length', 'range', 'if-none-match'] as const;
/** Response headers passed back to the client. */
const FORWARDED_RESPONSE = [
  'content-type',
  'content-length',
  'content-range',
  'content-disposition',
  'content-security-policy',
  'x-content-type-options',
  'accept-ranges',
  'cache-control',
  'etag',
  'retry-after',
  'connection',
] as const;

function pick(headers: IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === 'string') picked[name] = value;
  }
  return picked;
}

/** How long an answer sent before the end of its request body keeps reading (and dropping) the rest. */
const GRACE_MS = 2000;

/**
 * Ends an answer sent before the request body was read to its end (a refusal). Closing at once
 * would make the client's next write fail before it reads the answer (it would see a broken
 * connection, not the 413/415), so the rest is read and dropped for a short grace first.
 */
function endAfterBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) {
    res.end();
    return;
  }
  const finish = (): void => {
    clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  const timer = setTimeout(finish, GRACE_MS);
  timer.unref();
  req.once('end', finish);
  req.once('close', finish);
  req.resume();
}

function refuse(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.write(body);
  endAfterBody(req, res);
}

/**
 * The one public origin for file bytes: `PUT`/`POST /files/uploads/<ticket>` and
 * `GET`/`HEAD /files/<id>/content?token=...` are streamed to the file subgraph both ways, never
 * buffered (a 500 MB upload costs the router a socket buffer, not 500 MB), signed as the router
 * with the kit's streamed-request signature (method and target; the ticket or link in the target
 * authorizes the body). Runs in the HTTP server's `intercept`, before the buffering routes:
 * `handle` answers true for the requests it took. Both modes: in the one-process stack file still
 * listens on a loopback port, which the supergraph names like any other subgraph's.
 */
export class FileRoutes {
  private readonly inFlight = new Set<Promise<void>>();
  private draining = false;
  private readonly reclaimer: BufferReclaimer;
  /** Counts what is read from a socket and relayed (a listener per body, bound once). */
  private readonly relayed = (chunk: Buffer): void => this.reclaimer.relayed(chunk.length);

  constructor(private readonly options: FileRoutesOptions) {
    this.reclaimer = new BufferReclaimer(options.reclaimEveryBytes ?? DEFAULT_RECLAIM_EVERY_BYTES);
  }

  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const target = req.url ?? '/';
    if (!target.startsWith('/files/')) return false;
    const question = target.indexOf('?');
    const path = question === -1 ? target : target.slice(0, question);
    const method = req.method ?? 'GET';
    const upload = UPLOAD.test(path);
    if (!upload && !CONTENT.test(path)) return false;
    if (upload ? method !== 'PUT' && method !== 'POST' : method !== 'GET' && method !== 'HEAD') {
      refuse(req, res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here`);
      return true;
    }
    if (this.draining) {
      refuse(req, res, 503, 'UNAVAILABLE', 'The router is shutting down, try again');
      return true;
    }
    const base = this.options.fileBase();
    if (!base) {
      refuse(req, res, 503, 'UNAVAILABLE', 'The file service is not part of this supergraph');
      return true;
    }
    const work = this.forward(req, res, base, method, target);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return true;
  }

  private forward(req: IncomingMessage, res: ServerResponse, base: string, method: string, target: string): Promise<void> {
    const requestId = (typeof req.headers[REQUEST_ID_HEADER] === 'string' && req.headers[REQUEST_ID_HEADER]) || randomUUID();
    return new Promise<void>((resolve) => {
      const upstream = httpRequest(new URL(target, base), {
        method,
        headers: {
          ...pick(req.headers, FORWARDED_REQUEST),
          ...signStreamedRequest(this.options.signingSecret, ROUTER_PRINCIPAL, method, target),
          [REQUEST_ID_HEADER]: requestId,
        },
      });
      upstream.on('response', (answer) => {
        const headers = pick(answer.headers, FORWARDED_RESPONSE);
        // file answered before the whole body arrived (a refusal): this connection cannot carry another request.
        if (!req.complete) headers.connection = 'close';
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.on('data', this.relayed);
        answer.pipe(res, { end: false });
        answer.on('end', () => {
          if (!req.complete) {
            // Stop sending file the rest; drop it here for a moment so the client reads the answer.
            req.unpipe(upstream);
            upstream.destroy();
          }
          endAfterBody(req, res);
        });
        answer.on('error', () => res.destroy());
      });
      upstream.on('error', (error) => {
        this.options.logger.warn({ err: error, requestId }, 'file service unreachable for a byte route');
        refuse(req, res, 502, 'UNAVAILABLE', 'The file service is unavailable, try again');
      });
      // The client went away mid-body or mid-download: so does the upstream request.
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
        resolve();
      });
      if (method === 'GET' || method === 'HEAD') upstream.end();
      else {
        req.on('data', this.relayed);
        // pipe() stops reading the client while file's socket is full: the router holds a socket buffer, never the body.
        req.pipe(upstream);
      }
    });
  }

  /**
   * Refuses new byte requests, then waits for those in progress, at most `timeoutMs` (the HTTP
   * server does not count them, so its own drain would cut them when it closes the connections).
   */
  async drain(timeoutMs = 10_000): Promise<void> {
    this.draining = true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const done = (async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    })();
    await Promise.race([done, late]);
    clearTimeout(timer);
  }
}
