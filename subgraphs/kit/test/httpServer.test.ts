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
