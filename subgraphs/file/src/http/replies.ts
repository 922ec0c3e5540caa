import type { ServerResponse } from 'node:http';

/**
 * The answers of file's byte routes (uploads, downloads): JSON `{ error: { code, message } }` with
 * the HTTP status, the shape the router passes on to the client unchanged.
 */
export function sendRefusal(res: ServerResponse, status: number, code: string, message: string, close = false): void {
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
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(body);
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
