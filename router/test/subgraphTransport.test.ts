import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMutation } from '../src/dataSource';
import { SubgraphTransport } from '../src/subgraphTransport';

type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

/** A subgraph stand-in whose n-th request (from 1) gets `behaviours[n - 1]`, the last one after that. */
async function subgraph(...behaviours: Behaviour[]): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      const behaviour = behaviours[Math.min(bodies.length, behaviours.length) - 1];
      behaviour?.(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const answer: Behaviour = (_req, res, body) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ data: { echo: body } }));
};
const hangUp: Behaviour = (req) => req.socket.destroy();
const hangUpMidAnswer: Behaviour = (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
  res.write('{"data":');
  setTimeout(() => req.socket.destroy(), 20);
};
const silence: Behaviour = () => undefined;

describe('SubgraphTransport', () => {
  let transport: SubgraphTransport;
  afterEach(() => transport.close());

  it('posts the body with the given headers and returns status and body', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const server = await subgraph((req, res, body) => {
      seen = req.headers;
      answer(req, res, body);
    });
    transport = new SubgraphTransport(5000);
    try {
      const reply = await transport.post(
        server.url,
        { 'content-type': 'application/json', 'x-chatgraph-signature': 'v1=abc' },
        '{"query":"{ me { id } }"}',
        true,
      );
      expect(reply).toEqual({ status: 200, body: JSON.stringify({ data: { echo: '{"query":"{ me { id } }"}' } }) });
      expect(seen['x-chatgraph-signature']).toBe('v1=abc');
      expect(seen['content-length']).toBe(String('{"query":"{ me { id } }"}'.length));
    } finally {
      await server.close();
    }
  });

  it('sends a read once more, on a fresh connection, when the connection is lost before any answer', async () => {
    const server = await subgraph(hangUp, answer);
    transport = new SubgraphTransport(5000);
    try {
      const reply = await transport.post(server.url, {}, 'read', true);
      expect(reply.status).toBe(200);
      expect(server.bodies).toEqual(['read', 'read']);
    } finally {
      await server.close();
    }
  });

  it('never sends a mutation twice', async () => {
    const server = await subgraph(hangUp, answer);
    transport = new SubgraphTransport(5000);
    try {
      await expect(transport.post(server.url, {}, 'write', false)).rejects.toThrow();
      expect(server.bodies).toEqual(['write']);
    } finally {
      await server.close();
    }
  });

  it('does not resend once the subgraph began answering', async () => {
    const server = await subgraph(hangUpMidAnswer, answer);
    transport = new SubgraphTransport(5000);
    try {
      await expect(transport.post(server.url, {}, 'read', true)).rejects.toThrow();
      expect(server.bodies).toEqual(['read']);
    } finally {
      await server.close();
    }
  });

  it('fails a request the subgraph leaves unanswered for the timeout', async () => {
    const server = await subgraph(silence);
    transport = new SubgraphTransport(200);
    try {
      await expect(transport.post(server.url, {}, 'read', true)).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    } finally {
      await server.close();
    }
  });

  it('fails when nothing listens at the subgraph URL', async () => {
    const server = await subgraph(answer);
    await server.close();
    transport = new SubgraphTransport(5000);
    await expect(transport.post(server.url, {}, 'read', true)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('keeps working after close, on new connections', async () => {
    const server = await subgraph(answer);
    transport = new SubgraphTransport(5000);
    try {
      await transport.post(server.url, {}, 'one', true);
      transport.close();
      const reply = await transport.post(server.url, {}, 'two', true);
      expect(reply.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('isMutation (which subgraph operations may be resent)', () => {
  it('recognises the gateway’s mutation fetches and nothing else', () => {
    expect(isMutation('mutation Send__conversation__0($i:SendMessageInput!){sendMessage(input:$i){id}}')).toBe(true);
    expect(isMutation('  mutation{logout}')).toBe(true);
    expect(isMutation('query Me__identity__0{me{id}}')).toBe(false);
    expect(isMutation('query($representations:[_Any!]!){_entities(representations:$representations){...on User{mutationCount}}}')).toBe(
      false,
    );
    expect(isMutation('{_service{sdl}}')).toBe(false);
    expect(isMutation('mutationLike')).toBe(false);
  });
});

describe('SubgraphTransport with subgraphs in the same process', () => {
  it('calls an in-process subgraph directly and the others over HTTP', async () => {
    const server = await subgraph(answer);
    const calls: Array<{ headers: Readonly<Record<string, string>>; body: string }> = [];
    const local = 'http://127.0.0.1:1/graphql';
    const transport = new SubgraphTransport(
      5000,
      new Map([
        [
          local,
          async (headers: Readonly<Record<string, string>>, body: string) => {
            calls.push({ headers, body });
            return { status: 200, body: '{"data":{"local":true}}' };
          },
        ],
      ]),
    );
    try {
      expect(await transport.post(local, { 'x-chatgraph-signature': 'v1=abc' }, 'in process', false)).toEqual({
        status: 200,
        body: '{"data":{"local":true}}',
      });
      expect(calls).toEqual([{ headers: { 'x-chatgraph-signature': 'v1=abc' }, body: 'in process' }]);
      expect((await transport.post(server.url, {}, 'over http', true)).status).toBe(200);
      expect(server.bodies).toEqual(['over http']);
    } finally {
      transport.close();
      await server.close();
    }
  });
});
