import net from 'node:net';
import { createLogger } from '../src';
import { HttpServer, splitTarget } from '../src/http';

describe('splitTarget (routing a request target without a URL object)', () => {
  it('splits the origin form on its first question mark', () => {
    expect(splitTarget('/graphql')).toEqual({ path: '/graphql', search: '' });
    expect(splitTarget('/graphql?query=%7Bme%7D&x=?')).toEqual({ path: '/graphql', search: '?query=%7Bme%7D&x=?' });
    expect(splitTarget('/')).toEqual({ path: '/', search: '' });
  });

  it('parses other forms as URLs', () => {
    expect(splitTarget('http://example.com/graphql?a=1')).toEqual({ path: '/graphql', search: '?a=1' });
    expect(splitTarget('//evil.example/graphql')).toEqual({ path: '/graphql', search: '' });
    expect(splitTarget('*')).toEqual({ path: '/*', search: '' });
  });
});

describe('HttpServer request bodies', () => {
  it('lets go of a request whose client hung up mid-body: the handler never runs and stop() drains at once', async () => {
    let handled = false;
    // A drain that waited for the abandoned request would outlast the test's timeout.
    const server = new HttpServer({
      logger: createLogger({ name: 'abort', level: 'silent' }),
      routes: [{ method: 'POST', path: '/x', handler: () => void (handled = true) }],
      maxBodyBytes: 1000,
      drainTimeoutMs: 600_000,
    });
    const { port } = new URL(await server.listen(0));
    const arrived = new Promise((resolve) => server.nodeServer?.once('request', resolve));
    const socket = net.connect(Number(port), '127.0.0.1');
    // A body announced as 100 bytes, 3 sent: the server is left reading it when the client hangs up.
    socket.write('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
    await arrived;
    socket.destroy();
    await new Promise((resolve) => socket.once('close', resolve));
    await server.stop();
    expect(handled).toBe(false);
  });
});

/** A port free a moment ago (the OS picks it), for a server whose port must be known before it is bound. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Whether a TCP connection to the port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('HttpServer lifecycle', () => {
  const options = () => ({ logger: createLogger({ name: 'lifecycle', level: 'silent' }), routes: [], maxBodyBytes: 1000 });

  it('a stop() during listen() leaves the server closed, and listen() says it was stopped', async () => {
    const port = await freePort();
    const server = new HttpServer(options());
    const listening = server.listen(port);
    const outcome = listening.then(
      () => 'listening',
      (err: Error) => err.message,
    );
    await server.stop();
    expect(await outcome).toBe('server was stopped while starting');
    expect(server.draining).toBe(true);
    expect(server.nodeServer).toBeUndefined();
    expect(await accepts(port)).toBe(false);
  });

  it('a failed bind leaves the server idle, so it can listen again', async () => {
    const blocker = new HttpServer(options());
    const { port } = new URL(await blocker.listen(0));
    const server = new HttpServer(options());
    await expect(server.listen(Number(port))).rejects.toThrow(/EADDRINUSE/);
    await blocker.stop();
    const url = await server.listen(Number(port));
    expect(await accepts(Number(new URL(url).port))).toBe(true);
    await server.stop();
  });
});
