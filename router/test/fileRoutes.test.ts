import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, verifyStreamedRequest } from '@chatgraph/kit';
import { FileRoutes } from '../src/files/fileRoutes';

const SECRET = 'file-routes-test-secret-0123456789abcd';

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; base: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the router’s file byte routes', () => {
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; bytes: number }> = [];
  let upstream: { server: Server; base: string };
  let front: { server: Server; base: string };
  let fileBase: string | undefined;

  beforeAll(async () => {
    // Plays file: checks the router's streamed signature, counts the body; `/files/uploads/small`
    // refuses past 10 bytes as file does (answer at once, drop the rest, close after it).
    upstream = await listen((req, res) => {
      const url = req.url ?? '';
      verifyStreamedRequest(SECRET, req.headers, req.method ?? '', url, { maxSkewMs: 5000 });
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (url.endsWith('/small') && bytes > 10 && !res.headersSent) {
          res.writeHead(413, { 'content-type': 'application/json', connection: 'close', 'set-cookie': 'x=1' });
          res.write('{"error":{"code":"PAYLOAD_TOO_LARGE"}}');
        }
      });
      req.on('close', () => res.end());
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url, headers: req.headers, bytes });
        if (!res.headersSent) {
          res.writeHead(201, { 'content-type': 'application/json', 'x-internal': 'secret', 'cache-control': 'no-store' });
          res.end(JSON.stringify({ bytes }));
        }
      });
    });
    fileBase = upstream.base;
    const routes = new FileRoutes({
      signingSecret: SECRET,
      logger: createLogger({ name: 'test', level: 'silent' }),
      fileBase: () => fileBase,
    });
    front = await listen((req, res) => {
      if (!routes.handle(req, res)) {
        res.writeHead(404);
        res.end();
      }
    });
  });

  afterAll(async () => {
    for (const { server } of [front, upstream]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('streams an upload to file, signed, with only the headers file needs, and passes back only safe headers', async () => {
    const res = await fetch(`${front.base}/files/uploads/abc.def`, {
      method: 'PUT',
      body: Buffer.alloc(3 * 1024 * 1024, 1),
      headers: { 'content-type': 'text/plain', cookie: 'session=1', authorization: 'Bearer t' },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ bytes: 3 * 1024 * 1024 });
    expect(res.headers.get('x-internal')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    const forwarded = seen.at(-1);
    expect(forwarded).toMatchObject({ method: 'PUT', url: '/files/uploads/abc.def', bytes: 3 * 1024 * 1024 });
    expect(forwarded?.headers.cookie).toBeUndefined();
    expect(forwarded?.headers.authorization).toBeUndefined();
    expect(forwarded?.headers['content-type']).toBe('text/plain');
  });

  it("passes file's early refusal on while the client is still sending", async () => {
    const res = await fetch(`${front.base}/files/uploads/small`, { method: 'PUT', body: Buffer.alloc(8 * 1024 * 1024, 1) });
    expect(res.status).toBe(413);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('refuses other methods, leaves other paths alone, and answers 503 without a file subgraph', async () => {
    expect((await fetch(`${front.base}/files/uploads/abc`)).status).toBe(405);
    expect((await fetch(`${front.base}/files/abc/content`, { method: 'PUT', body: 'x' })).status).toBe(405);
    expect((await fetch(`${front.base}/files/../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${front.base}/files/abc/other`)).status).toBe(404);
    fileBase = undefined;
    expect((await fetch(`${front.base}/files/abc/content?token=x`)).status).toBe(503);
    fileBase = upstream.base;
    expect((await fetch(`${front.base}/files/abc/content?token=x`)).status).toBe(201);
  });
});
