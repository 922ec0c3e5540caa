import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a refusal sent before the end of its request body keeps reading (and dropping) the rest. */
export const REFUSAL_GRACE_MS = 2000;

/**
 * Ends a response sent before its request body was read to the end. Closing at once would make
 * the sender's next write fail (EPIPE) before it reads the answer, so a client (or the router
 * forwarding one) would see a broken connection instead of the 413/415. So the rest of the body
 * is read and dropped for a short grace, then the connection closes (`connection: close` is set).
 */
export function endAfterBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) {
    res.end();
    return;
  }
  const finish = (): void => {
    clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  const timer = setTimeout(finish, REFUSAL_GRACE_MS);
  timer.unref();
  req.once('end', finish);
  req.once('close', finish);
  req.resume();
}

/**
 * The answers of file's byte routes (uploads, downloads): JSON `{ error: { code, message } }` with
 * the HTTP status, the shape the router passes on to the client unchanged. With `req` (a request
 * whose body may not have been read to its end), the connection closes after it (`endAfterBody`).
 */
export function sendRefusal(res: ServerResponse, status: number, code: string, message: string, req?: IncomingMessage): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    // The request body was not read to its end: the connection cannot carry another request.
    ...(req ? { connection: 'close' } : {}),
  });
  if (!req) {
    res.end(body);
    return;
  }
  res.write(body);
  endAfterBody(req, res);
}

/**
 * RATE_LIMITED (429), the router's code and shape for limits: `Retry-After` in seconds, and the
 * body's `retryAfterSeconds`, `limit` and `max`. Nothing was read or spent.
 */
export function sendRateLimited(
  res: ServerResponse,
  refusal: { limit: string; max: number; retryAfterMs: number; message: string },
  req?: IncomingMessage,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retryAfterSeconds = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  const body = JSON.stringify({
    error: { code: 'RATE_LIMITED', message: refusal.message, retryAfterSeconds, limit: refusal.limit, max: refusal.max },
  });
  res.writeHead(429, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'retry-after': String(retryAfterSeconds),
    ...(req ? { connection: 'close' } : {}),
  });
  if (!req) {
    res.end(body);
    return;
  }
  res.write(body);
  endAfterBody(req, res);
}

/** A JSON answer. */
export function sendOk(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
