import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_MAX_SKEW_MS, NonceRegistry, SignatureError, verifyStreamedRequest, type Logger } from '@chatgraph/kit';
import type { Downloads } from './download';
import { sendRefusal } from './replies';
import type { Uploads } from './upload';

export interface ByteRoutesDeps {
  uploads: Uploads;
  downloads: Downloads;
  signingSecret: string;
  logger: Logger;
}

/** `/files/uploads/<ticket>` (PUT, POST) and `/files/<id>/content` (GET, HEAD): the router's paths, forwarded as they are. */
const UPLOAD = /^\/files\/uploads\/([^/]{1,1000})$/;
const CONTENT = /^\/files\/([A-Za-z0-9_-]{1,64})\/content$/;

/**
 * file's byte routes, served before the kit's router (which buffers bodies): the body streams.
 * Only the router may call them: each request carries its streamed-request signature (method
 * and target signed, kit streamSigning.ts); the body is authorized by the ticket in the target.
 * `intercept` answers true for the requests it took; `drain()` refuses new ones and waits (bounded)
 * for those in progress, so a graceful stop does not cut uploads the HTTP server does not count.
 */
export class ByteRoutes {
  private readonly nonces = new NonceRegistry(DEFAULT_MAX_SKEW_MS);
  private readonly inFlight = new Set<Promise<void>>();
  private draining = false;

  constructor(private readonly deps: ByteRoutesDeps) {}

  readonly intercept = (req: IncomingMessage, res: ServerResponse): boolean => {
    const target = req.url ?? '/';
    const question = target.indexOf('?');
    const path = question === -1 ? target : target.slice(0, question);
    const upload = UPLOAD.exec(path);
    const content = upload ? null : CONTENT.exec(path);
    if (!upload && !content) return false;
    const method = req.method ?? 'GET';
    const allowed = upload ? method === 'PUT' || method === 'POST' : method === 'GET' || method === 'HEAD';
    const work = (async () => {
      if (this.draining) return sendRefusal(res, 503, 'UNAVAILABLE', 'The file service is shutting down, try again', req);
      if (!allowed) return sendRefusal(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here`, req);
      try {
        verifyStreamedRequest(this.deps.signingSecret, req.headers, method, target, {
          maxSkewMs: DEFAULT_MAX_SKEW_MS,
          nonces: this.nonces,
        });
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error;
        return sendRefusal(res, 401, 'UNAUTHENTICATED', `request signature ${error.reason}`, req);
      }
      if (upload) return this.deps.uploads.handle(req, res, upload[1] ?? '');
      return this.deps.downloads.handle(req, res, content?.[1] ?? '', new URLSearchParams(question === -1 ? '' : target.slice(question)));
    })().catch((error: unknown) => {
      this.deps.logger.error({ err: error, path }, 'byte route failed');
      sendRefusal(res, 500, 'INTERNAL', 'Internal error', req);
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return true;
  };

  /** Refuses new uploads and downloads, then waits for those in progress, at most `timeoutMs`. */
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
