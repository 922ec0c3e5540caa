import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, Server, ServerResponse } from 'node:http';
import { HttpError } from '@chatgraph/kit';
import type { CorsPolicy } from './cors';
import { sendEarlyRefusal } from './graphqlHandler';
import { responseContentType } from './graphqlRequest';

/** What the router checks before the kit server's own handler sees a request. */
export interface FrontDoorOptions {
  cors: CorsPolicy;
  /** The kit server's body limit (MAX_BODY_BYTES): a body declared larger is refused here. */
  maxBodyBytes: number;
}

/**
 * For a body sent without a length (chunked), the kit server finds it too large only while
 * reading it, and writes its 413 as `application/json`: the content type is corrected for a
 * client that prefers `application/graphql-response+json` (the body is the same GraphQL error).
 */
function correct413ContentType(req: IncomingMessage, res: ServerResponse): void {
  const type = responseContentType(req.headers.accept);
  if (type === undefined || type.startsWith('application/json')) return;
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: OutgoingHttpHeaders) => ServerResponse;
  res.writeHead = ((status: number, headers?: OutgoingHttpHeaders) =>
    writeHead(status, status === 413 && headers ? { ...headers, 'content-type': type } : headers)) as ServerResponse['writeHead'];
}

/**
 * Puts the router's front door before the kit server's request handler (re-registered behind it,
 * the kit unchanged): CORS headers on every answer and preflights answered here (cors.ts), and a
 * body declared larger than the limit refused here in the media type the client asked for, as the
 * handler's own refusals are (Apollo Client 4 then surfaces `PAYLOAD_TOO_LARGE`). Call it right
 * after `listen` resolves: no request is handled in between (the same turn of the event loop).
 */
export function installFrontDoor(server: Server, options: FrontDoorOptions): void {
  const inner = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (options.cors.handle(req, res)) return;
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > options.maxBodyBytes) {
      sendEarlyRefusal(req, res, new HttpError('PAYLOAD_TOO_LARGE', `Request body exceeds ${options.maxBodyBytes} bytes`));
      return;
    }
    if (length === undefined && req.method === 'POST') correct413ContentType(req, res);
    for (const listener of inner) listener.call(server, req, res);
  });
}
